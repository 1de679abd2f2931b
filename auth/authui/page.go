package authui

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/realms"
)

// page is the data every template gets (docs/login.md describes it for
// theme authors). A page uses the fields it needs; the others are zero.
type page struct {
	Lang         string
	Title        string
	RealmName    string // the realm's name
	RealmDisplay string // its display name, or its name
	Stylesheet   string // URL of the theme's login.css
	Script       string // URL of a script the page needs ("" for none)
	Client       string // the application being signed in to
	Username     string // the user signed in (or signing in)
	CSRF         string
	Action       string // where the page's form posts
	Error        string // about the whole page
	Notice       string
	Message      string
	Errors       map[string]string // by form field
	Values       map[string]string // by form field, to fill the form again
	Links        links
	Nav          string // the account page shown: profile, password, security, devices

	SecondFactor   *auth.SecondFactorStep
	EmailSent      bool
	Enrolment      *enrolmentView
	Factors        []factorView
	HasTOTP        bool
	RemainingCodes int
	RecoveryCodes  []string
	Sessions       []sessionView
	FormPost       *formPost
	Status         int

	theme       *theme
	formTargets []string // origins forms may post (or be redirected) to, besides 'self'
}

// links are the pages a page may link to.
type links struct {
	Login, Register, ForgotPassword, Restart              string
	Account, Profile, Password, Security, Devices, Logout string
}

// formPost is the auto-submitted form of response_mode form_post.
type formPost struct {
	Action string
	Fields []field
}

type field struct{ Name, Value string }

// newPage returns a page of realm r with the theme's stylesheet.
func (h *Handler) newPage(r realms.Realm, title string) *page {
	th := h.themes.get(r.LoginTheme)
	u := h.urls(r.Name)
	return &page{
		Lang: "en", Title: title, RealmName: string(r.Name), RealmDisplay: displayName(r),
		Stylesheet: u.resource(th.name, "login.css", th.version("login.css")),
		Errors:     map[string]string{}, Values: map[string]string{}, theme: th,
	}
}

func displayName(r realms.Realm) string {
	if r.DisplayName != "" {
		return r.DisplayName
	}
	return string(r.Name)
}

// securityHeaders sets the headers of every page: no caching, no framing
// (CSP frame-ancestors and X-Frame-Options), no referrer, no sniffing, and
// a CSP without inline script: scripts, styles and images only from this
// origin (images also as data: URIs, for QR codes), forms only to this
// origin and targets (the application a sign-in returns to: browsers apply
// form-action to the redirect that follows a form).
func securityHeaders(w http.ResponseWriter, targets []string) {
	hd := w.Header()
	formAction := "'self'"
	for _, t := range targets {
		formAction += " " + t
	}
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src 'self'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
}

// formTarget is the CSP source of uri (a redirect or post-logout URI the
// browser may be sent to after a form): its origin, or its scheme for a
// native app's private-use scheme. "" when it has none.
func formTarget(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return ""
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

// render writes page file with status and the security headers.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, file string, p *page) {
	body, err := p.theme.render(file, p)
	if err != nil {
		h.log.ErrorContext(r.Context(), "authui: rendering a page failed", slog.String("page", file),
			slog.String("theme", p.theme.name), slog.String("error", err.Error()))
		if p.theme.name != DefaultTheme {
			p.theme = h.themes.get(DefaultTheme)
			body, err = p.theme.render(file, p)
		}
		if err != nil {
			securityHeaders(w, nil)
			http.Error(w, "The page cannot be shown.", http.StatusInternalServerError)
			return
		}
	}
	securityHeaders(w, p.formTargets)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// fail renders err as the error page of realm (a bare page when the realm
// cannot be read): its message for the caller's mistakes, a generic one
// (and a log line) for server failures. The page never links to anything
// the request named.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, realm iam.Realm, title string, err error) {
	status := iamhttp.Status(iam.ErrorCode(err))
	var oe *auth.OAuthError
	if errors.As(err, &oe) && status < 500 {
		status = http.StatusBadRequest
	}
	msg := iam.ErrorMessage(err)
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "authui: request failed", slog.String("path", r.URL.Path),
			slog.String("error", err.Error()))
		msg = "Something went wrong on our side. Please try again in a moment."
		if status == http.StatusServiceUnavailable {
			msg = "The service is temporarily unavailable. Please try again in a moment."
			iamhttp.SetRetryAfter(w, err)
		}
	}
	h.message(w, r, realm, status, title, msg)
}

// message renders the message page with status.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, realm iam.Realm, status int, title, msg string) {
	rr, err := h.realm(r.Context(), realm)
	if err != nil {
		rr = realms.Realm{Name: realm}
		if realm.Validate() != nil {
			rr.Name = "unknown"
		}
	}
	p := h.newPage(rr, title)
	p.Message, p.Status = msg, status
	h.render(w, r, status, pageMessage, p)
}

// realm returns the realm's settings (for its display name and theme).
func (h *Handler) realm(ctx context.Context, name iam.Realm) (realms.Realm, error) {
	return h.svc.Realm(ctx, name)
}

// form parses an application/x-www-form-urlencoded body (bounded) and
// returns its values; repeated fields keep their first value.
func (h *Handler) form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return nil, iam.Invalidf("body", "The form was not sent as a form.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxForm)
	if err := r.ParseForm(); err != nil {
		return nil, iam.Invalidf("body", "The form could not be read.")
	}
	return r.PostForm, nil
}

// sameToken compares a form's CSRF token with the expected one in
// constant time; an empty expected token never matches.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// errCSRF is the answer to a form without the right CSRF token.
var errCSRF = iam.Errorf(iam.CodeForbidden,
	"This form has expired or was not sent from this site. Go back, reload the page and try again.")

// statusOf is the HTTP status of a form error: 401 for wrong credentials,
// 409 for a taken name, 403 for what the realm does not allow, 429 for a
// rate limit, 400 otherwise.
func statusOf(err error) int {
	switch {
	case auth.OAuthCode(err) == auth.ErrorInvalidGrant:
		return http.StatusUnauthorized
	case iam.ErrorCode(err) == iam.CodeConflict:
		return http.StatusConflict
	case iam.ErrorCode(err) == iam.CodeForbidden:
		return http.StatusForbidden
	case iam.ErrorCode(err) == iam.CodeRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

// userError reports whether err is the caller's (a 4xx), to be shown next
// to the form, rather than a failure to render as the error page.
func userError(err error) bool {
	switch iam.ErrorCode(err) {
	case iam.CodeInvalid, iam.CodeUnauthenticated, iam.CodeConflict, iam.CodeRateLimited, iam.CodeForbidden:
		return true
	}
	return false
}

// fieldError puts err's message next to its field when the page has that
// field (fields), else at the top of the page.
func (p *page) fieldError(err error, fields ...string) {
	f := iam.ErrorField(err)
	if f != "" && slices.Contains(fields, f) {
		p.Errors[f] = iam.ErrorMessage(err)
		return
	}
	p.Error = iam.ErrorMessage(err)
}
