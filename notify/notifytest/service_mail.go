package notifytest

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

func testWelcome(t *testing.T, e *Env) {
	u := e.User(t, users.User{Username: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "Liddell"})
	e.Pump(t)
	m := e.Mails(t, 1)[0]
	checks := []struct{ name, got, want string }{
		{"EnvelopeTo", strings.Join(m.To, ","), "alice@example.com"},
		{"To", m.Address("To").String(), `"Alice Liddell" <alice@example.com>`},
		{"From", m.Address("From").Address + "|" + m.Address("From").Name, "noreply@acme.test|Acme Login"},
		{"ReplyTo", m.Address("Reply-To").Address, "help@acme.test"},
		{"Subject", m.Subject(), "Welcome to Acme Corp"},
		{"AutoSubmitted", m.Header.Get("Auto-Submitted"), "auto-generated"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	account := "https://id.acme.test/realms/acme/account"
	for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
		for _, want := range []string{"Hello Alice Liddell,", "Your Acme Corp account has been created. Your username is alice.", account, "Open your account"} {
			if !strings.Contains(body, want) {
				t.Errorf("the %s part lacks %q:\n%s", part, want, body)
			}
		}
	}
	if !strings.Contains(m.HTML, `href="`+account+`"`) || !strings.Contains(m.HTML, "<title>Welcome to Acme Corp</title>") {
		t.Errorf("the HTML part has no button to %s:\n%s", account, m.HTML)
	}
	d := e.Deliveries(t, notify.Filter{})
	if len(d) != 1 || d[0].Status != notify.StatusSent || d[0].Kind != notify.KindWelcome || d[0].UserID != u.ID ||
		d[0].Attempts != 1 || d[0].To != "alice@example.com" || d[0].SentAt.IsZero() {
		t.Fatalf("delivery log = %+v", d)
	}
}

func testNoWelcome(t *testing.T, e *Env) {
	if _, err := e.Users.Import(ctx(t), "acme", users.ImportFail, []users.ImportUser{
		{User: users.User{Username: "imported", Email: "imported@example.com", Enabled: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Users.Create(ctx(t), "acme", users.User{Username: "off", Email: "off@example.com"}); err != nil {
		t.Fatal(err)
	}
	e.User(t, users.User{Username: "nomail"})
	if _, err := e.Realms.Update(ctx(t), "beta", realmsAttributes(notify.AttrWelcome, "false")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Users.Create(ctx(t), "beta", users.User{Username: "b", Email: "b@example.com", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	e.Pump(t)
	e.Mails(t, 0)
	if d := e.Deliveries(t, notify.Filter{}); len(d) != 0 {
		t.Fatalf("deliveries = %+v", d)
	}
}

func testVerifyOnCreate(t *testing.T, e *Env) {
	u := e.User(t, users.User{Username: "vera", Email: "vera@example.com", RequiredActions: []string{users.ActionVerifyEmail}})
	e.Pump(t) // user.created asks the users service for a link
	e.Pump(t) // user.verify_email_requested brings it
	m := e.Mails(t, 1)[0]
	if m.Subject() != "Verify your email address for Acme Corp" {
		t.Fatalf("subject %q: want the verification mail instead of a welcome", m.Subject())
	}
	if !strings.Contains(m.Text, "vera@example.com is the email address of your Acme Corp account") ||
		!strings.Contains(m.Text, "valid for 12 hours") {
		t.Fatalf("text:\n%s", m.Text)
	}
	key := LinkKey(t, m, "https://id.acme.test/realms/acme"+users.VerifyEmailPath)
	if !strings.Contains(m.HTML, "verify-email?key="+key) {
		t.Fatalf("the HTML part lacks the link:\n%s", m.HTML)
	}
	got, err := e.Users.VerifyEmail(ctx(t), "acme", key)
	if err != nil || !got.EmailVerified || got.ID != u.ID {
		t.Fatalf("the mailed link does not verify: %+v, %v", got, err)
	}
}

func testReset(t *testing.T, e *Env) {
	e.User(t, users.User{Username: "rob", Email: "rob@example.com"})
	if err := e.Users.RequestPasswordReset(ctx(t), "acme", "rob"); err != nil {
		t.Fatal(err)
	}
	e.Pump(t)
	m := e.Mails(t, 2)[1]
	if m.Subject() != "Reset your Acme Corp password" || !strings.Contains(m.Text, "valid for 30 minutes") {
		t.Fatalf("reset mail %q:\n%s", m.Subject(), m.Text)
	}
	key := LinkKey(t, m, "https://id.acme.test/realms/acme"+users.ResetPath)
	if err := e.Users.ResetPassword(ctx(t), "acme", key, "A-new-Passw0rd-1"); err != nil {
		t.Fatalf("the mailed link does not reset: %v", err)
	}
	if _, err := e.Users.Authenticate(ctx(t), "acme", "rob", "A-new-Passw0rd-1"); err != nil {
		t.Fatal(err)
	}
	d := e.Deliveries(t, notify.Filter{Kind: notify.KindPasswordReset})
	if len(d) != 1 || d[0].Status != notify.StatusSent || d[0].SealedLink != nil {
		t.Fatalf("a sent reset keeps its link: %+v", d)
	}
}

func testExecuteActions(t *testing.T, e *Env) {
	u := e.User(t, users.User{Username: "exa", Email: "exa@example.com"})
	if err := e.Users.ExecuteActionsEmail(ctx(t), "acme", u.ID, []string{users.ActionUpdatePassword, users.ActionConfigureTOTP}, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	e.Pump(t)
	m := e.Mails(t, 2)[1]
	if m.Subject() != "Update your Acme Corp account" {
		t.Fatalf("subject %q", m.Subject())
	}
	for _, want := range []string{"Your administrator asks you to update your Acme Corp account:", "- Update your password",
		"- Set up an authenticator app", "valid for 2 hours", "Update your account:"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "<li>Set up an authenticator app</li>") {
		t.Errorf("HTML lacks the action list:\n%s", m.HTML)
	}
	LinkKey(t, m, "https://id.acme.test/realms/acme"+users.ResetPath)
}

func testLocales(t *testing.T, e *Env) {
	for _, tt := range []struct{ username, locale, subject, greeting string }{
		{"hans", "de-CH", "Willkommen bei Acme Corp", "Hallo hans,"},
		{"jeanne", "fr", "Bienvenue sur Acme Corp", "Bonjour jeanne,"},
		{"nobody", "tlh", "Welcome to Acme Corp", "Hello nobody,"},
		{"broken", "<script>", "Welcome to Acme Corp", "Hello broken,"},
	} {
		e.User(t, users.User{Username: tt.username, Email: tt.username + "@example.com",
			Attributes: map[string][]string{"locale": {tt.locale}}})
		e.Pump(t)
		got := e.SMTP.Messages()
		m := got[len(got)-1]
		if m.Subject() != tt.subject || !strings.Contains(m.Text, tt.greeting) {
			t.Errorf("locale %q: %q / %q, want %q / %q", tt.locale, m.Subject(), firstLine(m.Text, 3), tt.subject, tt.greeting)
		}
	}
}

func firstLine(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "|")
}

func testOverrides(t *testing.T, e *Env) {
	_, err := e.Svc.PutTemplate(ctx(t), "acme", notify.Template{Kind: notify.KindWelcome, Locale: "de",
		Subject: "Servus {{.User.FirstName}}", HTML: "<p>{{.T \"greeting\" .User.DisplayName}} <b>{{.Realm}}</b> {{.Link}}</p>",
		Text: "Servus! {{.Link}}"})
	if err != nil {
		t.Fatal(err)
	}
	e.User(t, users.User{Username: "sepp", FirstName: "Sepp", Email: "sepp@example.com", Attributes: map[string][]string{"locale": {"de-AT"}}})
	e.User(t, users.User{Username: "anna", Email: "anna@example.com"})
	e.Pump(t)
	got := e.Mails(t, 2)
	bySubject := map[string]Received{}
	for _, m := range got {
		bySubject[m.Subject()] = m
	}
	m, ok := bySubject["Servus Sepp"]
	if !ok || m.Text != "Servus! https://id.acme.test/realms/acme/account" ||
		m.HTML != "<p>Hallo Sepp, <b>Acme Corp</b> https://id.acme.test/realms/acme/account</p>" {
		t.Fatalf("the de override was not used: %q %q %q", m.Subject(), m.Text, m.HTML)
	}
	if _, ok := bySubject["Welcome to Acme Corp"]; !ok {
		t.Fatalf("an English user got the German override: %v", slices.Collect(maps.Keys(bySubject)))
	}
	t.Run("ABrokenOverrideIsRefused", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			tpl   notify.Template
			field string
		}{
			{"Syntax", notify.Template{Kind: notify.KindWelcome, Locale: "en", Subject: "{{", HTML: "x", Text: "x"}, "subject"},
			{"UnknownField", notify.Template{Kind: notify.KindWelcome, Locale: "en", Subject: "x", HTML: "{{.Password}}", Text: "x"}, "html"},
			{"EndlessRange", notify.Template{Kind: notify.KindWelcome, Locale: "en", Subject: "x", HTML: "x", Text: "{{range 1000000000}}x{{end}}"}, "text"},
			{"MissingPart", notify.Template{Kind: notify.KindWelcome, Locale: "en", Subject: "x", HTML: " ", Text: "x"}, "html"},
			{"UnknownKind", notify.Template{Kind: "newsletter", Locale: "en", Subject: "x", HTML: "x", Text: "x"}, "kind"},
			{"BadLocale", notify.Template{Kind: notify.KindWelcome, Locale: "../../etc", Subject: "x", HTML: "x", Text: "x"}, "locale"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.Svc.PutTemplate(ctx(t), "acme", tt.tpl)
				if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
					t.Fatalf("PutTemplate = %v, want invalid %s", err, tt.field)
				}
			})
		}
	})
}

// realmsAttributes is a realm update setting one attribute.
func realmsAttributes(k, v string) realms.Update {
	attrs := map[string]string{k: v}
	return realms.Update{Attributes: &attrs}
}

// countingUsers counts the user reads a Service makes.
type countingUsers struct {
	notify.UserGetter
	reads *atomic.Int64
}

func (c countingUsers) Get(ctx context.Context, realm iam.Realm, id string) (users.User, error) {
	c.reads.Add(1)
	return c.UserGetter.Get(ctx, realm, id)
}

// testRecordingReadsNoUser: the consumer records welcome, verification and
// reset mails from their events alone, without a call to the users
// service (the event carries the address and names); only the worker
// reads the user, once per mail, when it sends.
func testRecordingReadsNoUser(t *testing.T, e *Env) {
	var reads atomic.Int64
	svc, err := notify.New(e.h.Store, countingUsers{e.Users, &reads}, e.Realms, e.opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.Svc = svc
	u := e.User(t, users.User{Username: "alice", Email: "alice@example.com"})
	if err := e.Users.RequestPasswordReset(ctx(t), "acme", "alice"); err != nil {
		t.Fatal(err)
	}
	e.Handle(t)
	if n := reads.Load(); n != 0 {
		t.Fatalf("recording 2 mails read the user %d times, want 0", n)
	}
	if len(e.Deliveries(t, notify.Filter{})) != 2 {
		t.Fatalf("deliveries = %+v", e.Deliveries(t, notify.Filter{}))
	}
	e.Deliver(t)
	e.Mails(t, 2)
	if n := reads.Load(); n != 2 {
		t.Fatalf("sending 2 mails of %s read the user %d times, want 2", u.ID, n)
	}
}

// testDeletedBeforeSending: a user deleted after their mail was recorded
// and before it went gets none; the delivery fails for good, saying why.
func testDeletedBeforeSending(t *testing.T, e *Env) {
	u := e.User(t, users.User{Username: "gone", Email: "gone@example.com"})
	e.Handle(t)
	if err := e.Users.Delete(ctx(t), "acme", u.ID); err != nil {
		t.Fatal(err)
	}
	e.Deliver(t)
	e.Mails(t, 0)
	d := e.Deliveries(t, notify.Filter{})
	if len(d) != 1 || d[0].Status != notify.StatusFailed || !strings.Contains(d[0].LastError, "no longer exists") {
		t.Fatalf("delivery log = %+v, want one failed: the user no longer exists", d)
	}
}

// testLocaleWhenSent: the mail is in the language the user has when it is
// sent, not when it was recorded.
func testLocaleWhenSent(t *testing.T, e *Env) {
	u := e.User(t, users.User{Username: "hans", Email: "hans@example.com"})
	e.Handle(t)
	attrs := map[string][]string{"locale": {"de"}}
	if _, err := e.Users.Update(ctx(t), "acme", u.ID, users.Patch{Attributes: &attrs}); err != nil {
		t.Fatal(err)
	}
	e.Deliver(t)
	if m := e.Mails(t, 1)[0]; m.Subject() != "Willkommen bei Acme Corp" {
		t.Fatalf("subject %q, want the German welcome", m.Subject())
	}
}
