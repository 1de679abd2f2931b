package notify

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strconv"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// defaults holds the built-in templates and message catalogues. It is
// constant data.
//
//go:embed templates
var defaults embed.FS

// DefaultLocale is the locale of every built-in message, and the fallback of
// the others.
const DefaultLocale = "en"

// Limits of a template override, so that a realm administrator cannot make
// the mail worker render without end.
const (
	maxSubjectTemplate = 1 << 10
	maxBodyTemplate    = 64 << 10
	maxRendered        = 1 << 20 // bytes of one rendered part
)

// TemplateData is what a mail's templates see: the built-in ones and a
// realm's overrides (docs/notify.md lists it).
type TemplateData struct {
	Kind string
	// Realm is the realm's display name, else its name; RealmName is its
	// name.
	Realm     string
	RealmName string
	// Lang is the locale the mail is written in.
	Lang    string
	Subject string // the rendered subject (for the HTML title)
	User    TemplateUser
	// Link is the mail's button link ("" for none), Button its label.
	Link   string
	Button string
	// LinkExpiration says how long the link or code is valid ("12 hours").
	LinkExpiration string
	// Actions are the required actions of an execute-actions mail, in
	// words.
	Actions []string
	// Code is the one-time code of an e-mail OTP.
	Code string
	// Failures, Window, IPAddress and FailedAt describe the failed
	// sign-ins of a login-failure alert.
	Failures  int
	Window    string
	IPAddress string
	FailedAt  string
	// Rule is a line of dashes under the realm's name in the text part.
	Rule string

	messages *catalogs
}

// TemplateUser is the recipient.
type TemplateUser struct {
	Username  string
	FirstName string
	LastName  string
	Email     string
}

// DisplayName is the user's full name, else their username.
func (u TemplateUser) DisplayName() string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		return u.Username
	}
	return name
}

// T returns the message key in the mail's locale (English when the locale
// lacks it), with {0}, {1}, ... replaced by args. An unknown key is
// returned as is.
func (d TemplateData) T(key string, args ...any) string {
	if d.messages == nil {
		return key
	}
	return d.messages.format(d.Lang, key, args...)
}

// catalogs are the message catalogues by locale.
type catalogs struct {
	byLocale map[string]map[string]string
}

// loadCatalogs reads templates/messages/*.json.
func loadCatalogs() (*catalogs, error) {
	entries, err := defaults.ReadDir("templates/messages")
	if err != nil {
		return nil, err
	}
	c := &catalogs{byLocale: map[string]map[string]string{}}
	for _, e := range entries {
		locale, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		raw, err := defaults.ReadFile("templates/messages/" + e.Name())
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("messages %s: %w", e.Name(), err)
		}
		c.byLocale[locale] = m
	}
	if c.byLocale[DefaultLocale] == nil {
		return nil, errors.New("no English messages")
	}
	return c, nil
}

// format looks key up in locale, then English, and fills in args.
func (c *catalogs) format(locale, key string, args ...any) string {
	msg, ok := c.byLocale[locale][key]
	if !ok {
		if msg, ok = c.byLocale[DefaultLocale][key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	pairs := make([]string, 0, 2*len(args))
	for i, a := range args {
		pairs = append(pairs, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// duration says d in words, rounded to its largest fitting unit: days
// from two days (or a whole day), hours from two hours (or a whole hour),
// else minutes (rounded up, at least one).
func (c *catalogs) duration(locale string, d time.Duration) string {
	const day = 24 * time.Hour
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return c.format(locale, one)
		}
		return c.format(locale, many, n)
	}
	switch {
	case d >= 2*day || d == day:
		return unit(int64((d+day/2)/day), "duration.day", "duration.days")
	case d >= 2*time.Hour || d == time.Hour:
		return unit(int64((d+time.Hour/2)/time.Hour), "duration.hour", "duration.hours")
	}
	return unit(max(int64((d+time.Minute-1)/time.Minute), 1), "duration.minute", "duration.minutes")
}

// LocaleChain returns the locales to try for a user's locale attribute,
// most specific first, without DefaultLocale: "pt_BR" gives ["pt-br",
// "pt"]. Malformed values give none.
func LocaleChain(locale string) []string {
	l := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"))
	if !validLocale(l) {
		return nil
	}
	if lang, _, ok := strings.Cut(l, "-"); ok {
		return []string{l, lang}
	}
	return []string{l}
}

// validLocale accepts a BCP 47-like tag: letters and digits in parts of at
// most 8, joined by '-', 2 to 35 characters.
func validLocale(l string) bool {
	if len(l) < 2 || len(l) > 35 {
		return false
	}
	for _, part := range strings.Split(l, "-") {
		if part == "" || len(part) > 8 {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// ParseLocale normalizes a template's locale ("de-CH", "pt_BR" → "de-ch",
// "pt-br"): CodeInvalid (field "locale") when it is not a language tag.
func ParseLocale(s string) (string, error) {
	chain := LocaleChain(s)
	if len(chain) == 0 {
		return "", iam.Invalidf("locale", "locale must be a language tag such as en, de or pt-BR")
	}
	return chain[0], nil
}

// mailTemplates are one kind's parsed templates.
type mailTemplates struct {
	subject *texttemplate.Template
	html    *htmltemplate.Template
	text    *texttemplate.Template
}

// renderer renders mails from the built-in templates or a realm's
// overrides.
type renderer struct {
	messages *catalogs
	builtin  map[Kind]mailTemplates
	sources  map[Kind]TemplateSource
}

// TemplateSource is the source of a kind's templates.
type TemplateSource struct {
	Subject, HTML, Text string
}

// newRenderer parses the built-in templates.
func newRenderer() (*renderer, error) {
	c, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	r := &renderer{messages: c, builtin: map[Kind]mailTemplates{}, sources: map[Kind]TemplateSource{}}
	htmlLayout, err := defaults.ReadFile("templates/html/layout.html")
	if err != nil {
		return nil, err
	}
	textLayout, err := defaults.ReadFile("templates/text/layout.txt")
	if err != nil {
		return nil, err
	}
	for _, k := range Kinds() {
		src := TemplateSource{Subject: `{{.T "` + string(k) + `.subject" .Realm}}`}
		if src.HTML, err = fill(string(htmlLayout), "templates/html/"+string(k), ".html"); err != nil {
			return nil, err
		}
		if src.Text, err = fill(string(textLayout), "templates/text/"+string(k), ".txt"); err != nil {
			return nil, err
		}
		t, err := parseTemplates(k, src)
		if err != nil {
			return nil, fmt.Errorf("built-in template %s: %w", k, err)
		}
		r.builtin[k], r.sources[k] = t, src
	}
	return r, nil
}

// fill puts a kind's fragments (base+ext and base+".after"+ext) into a
// layout's {{/*content*/}} and {{/*after*/}} markers.
func fill(layout, base, ext string) (string, error) {
	content, err := defaults.ReadFile(base + ext)
	if err != nil {
		return "", err
	}
	after, err := defaults.ReadFile(base + ".after" + ext)
	if err != nil {
		return "", err
	}
	return strings.NewReplacer("{{/*content*/}}", strings.TrimRight(string(content), "\n"),
		"{{/*after*/}}", strings.TrimRight(string(after), "\n")).Replace(layout), nil
}

// parseTemplates parses and checks the three parts of src; errors are
// CodeInvalid naming the part ("subject", "html", "text").
func parseTemplates(k Kind, src TemplateSource) (mailTemplates, error) {
	var t mailTemplates
	var err error
	if len(src.Subject) > maxSubjectTemplate {
		return t, iam.Invalidf("subject", "the subject template is longer than %d bytes", maxSubjectTemplate)
	}
	for part, s := range map[string]string{"html": src.HTML, "text": src.Text} {
		if len(s) > maxBodyTemplate {
			return t, iam.Invalidf(part, "the %s template is longer than %d bytes", part, maxBodyTemplate)
		}
	}
	if t.subject, err = texttemplate.New("subject").Option("missingkey=error").Parse(src.Subject); err != nil {
		return t, templateError("subject", err)
	}
	if t.html, err = htmltemplate.New("html").Option("missingkey=error").Parse(src.HTML); err != nil {
		return t, templateError("html", err)
	}
	if t.text, err = texttemplate.New("text").Option("missingkey=error").Parse(src.Text); err != nil {
		return t, templateError("text", err)
	}
	for part, trees := range map[string][]*parse.Tree{"subject": trees(t.subject.Templates()),
		"html": htmlTrees(t.html), "text": trees(t.text.Templates())} {
		for _, tree := range trees {
			if err := checkRanges(tree.Root); err != nil {
				return t, templateError(part, err)
			}
		}
	}
	return t, nil
}

func trees(ts []*texttemplate.Template) []*parse.Tree {
	out := make([]*parse.Tree, 0, len(ts))
	for _, t := range ts {
		if t.Tree != nil {
			out = append(out, t.Tree)
		}
	}
	return out
}

func htmlTrees(t *htmltemplate.Template) []*parse.Tree {
	out := []*parse.Tree{}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			out = append(out, tt.Tree)
		}
	}
	return out
}

// checkRanges refuses {{range}} over anything but a field of the data (a
// range over a number would loop as long as its author likes).
func checkRanges(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkRanges(c); err != nil {
				return err
			}
		}
	case *parse.RangeNode:
		if !rangesOverField(n.Pipe) {
			return errors.New("{{range}} may only go over a field of the data, such as .Actions")
		}
		return errors.Join(checkRanges(n.List), checkRanges(n.ElseList))
	case *parse.IfNode:
		return errors.Join(checkRanges(n.List), checkRanges(n.ElseList))
	case *parse.WithNode:
		return errors.Join(checkRanges(n.List), checkRanges(n.ElseList))
	}
	return nil
}

func rangesOverField(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	_, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	return ok
}

func templateError(part string, err error) error {
	return &iam.Error{Code: iam.CodeInvalid, Field: part, Message: "the " + part + " template is invalid: " + err.Error()}
}

// rendered is a mail's subject and bodies.
type rendered struct{ subject, html, text string }

// render executes t with d. The subject loses line breaks.
func (t mailTemplates) render(d TemplateData) (rendered, error) {
	var out rendered
	var b bytes.Buffer
	if err := t.subject.Execute(&limited{w: &b}, d); err != nil {
		return out, templateError("subject", err)
	}
	out.subject = strings.Join(strings.Fields(b.String()), " ")
	d.Subject = out.subject
	b.Reset()
	if err := t.html.Execute(&limited{w: &b}, d); err != nil {
		return out, templateError("html", err)
	}
	out.html = b.String()
	b.Reset()
	if err := t.text.Execute(&limited{w: &b}, d); err != nil {
		return out, templateError("text", err)
	}
	out.text = b.String()
	return out, nil
}

// limited is a writer that fails past maxRendered bytes.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n+len(p) > maxRendered {
		return 0, fmt.Errorf("the mail is longer than %d bytes", maxRendered)
	}
	l.n += len(p)
	return l.w.Write(p)
}
