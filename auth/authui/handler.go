package authui

import (
	"cmp"
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/users"
)

// Accounts is the users service as the pages need it: the signed-in
// user, the required actions UPDATE_PASSWORD, UPDATE_PROFILE and
// VERIFY_EMAIL, registration, and the account pages' profile and password.
// *users.Service (in process) and usershttp.Client (remote) implement it,
// with users.Service's contracts. Calls that change the user carry the
// user as the iam.Principal of ctx (with the SSO session id), so the users
// service's own rules apply: a password change keeps that session and ends
// the others.
type Accounts interface {
	Get(ctx context.Context, realm iam.Realm, id string) (users.User, error)
	UpdateAccount(ctx context.Context, realm iam.Realm, id string, p users.AccountPatch) (users.User, error)
	ChangePassword(ctx context.Context, realm iam.Realm, id, current, pw string) error
	UpdatePassword(ctx context.Context, realm iam.Realm, id, pw string) error
	SendVerifyEmail(ctx context.Context, realm iam.Realm, id string, lifespan time.Duration) error
	CompleteRequiredAction(ctx context.Context, realm iam.Realm, id, action string) error
	Register(ctx context.Context, realm iam.Realm, in users.Registration) (users.User, error)
}

// Sessions is the session service as the account pages need it: the
// user's active sessions, and ending one of them. *session.Service and
// sessionhttp.Client implement it.
type Sessions interface {
	ListByUser(ctx context.Context, realm iam.Realm, userID string) ([]session.Session, error)
	TerminateOwn(ctx context.Context, realm iam.Realm, userID, id string) error
}

// Authenticators is the MFA service as CONFIGURE_TOTP and the account
// pages need it: enrolling and removing authenticator apps, and recovery
// codes. *mfa.Service and mfahttp.Client implement it, with mfa.Service's
// contracts.
type Authenticators interface {
	Factors(ctx context.Context, realm iam.Realm, userID string) ([]mfa.PublicFactor, error)
	StartTOTP(ctx context.Context, realm iam.Realm, userID, accountName, label string) (mfa.Enrolment, error)
	ConfirmTOTP(ctx context.Context, realm iam.Realm, userID, factorID, code string) (mfa.PublicFactor, error)
	DeleteCredential(ctx context.Context, realm iam.Realm, userID, credID string) error
	RegenerateRecoveryCodes(ctx context.Context, realm iam.Realm, userID string) ([]string, error)
}

// Handler serves the browser sign-in: the authorization endpoint, the
// hosted login pages, RP-initiated logout and the account pages (see
// routes.go). It is safe for concurrent use.
type Handler struct {
	svc      *auth.Service
	accounts Accounts
	sessions Sessions       // nil: the account pages list no sessions
	mfa      Authenticators // nil: no enrolment (CONFIGURE_TOTP cannot be completed)
	themes   *themes
	clientIP func(*http.Request) string
	log      *slog.Logger
	now      func() time.Time
	// backchannel serves POST logout with a refresh token (Keycloak's
	// logout of a session by its client), nil when not mounted with one.
	backchannel http.HandlerFunc
	themeDir    fs.FS
	maxForm     int64
}

// Option configures a Handler.
type Option func(*Handler)

// WithSessions lists the user's sessions on the account pages and lets
// the user end them.
func WithSessions(s Sessions) Option { return func(h *Handler) { h.sessions = s } }

// WithAuthenticators enables enrolling authenticator apps: the
// CONFIGURE_TOTP required action (also forced on users of a realm that
// requires a second factor and who have none) and the account pages' two-
// factor section. Without it those show an error.
func WithAuthenticators(a Authenticators) Option { return func(h *Handler) { h.mfa = a } }

// WithThemes adds a directory of login themes: a realm whose loginTheme is
// name is rendered with {dir}/name/templates/*.html and served
// {dir}/name/resources/*, each file replacing the default theme's of the
// same name (docs/login.md lists the files and the data they get).
func WithThemes(dir fs.FS) Option { return func(h *Handler) { h.themeDir = dir } }

// WithClientIP sets how the browser's address (brute-force counters,
// events, the sessions' addresses) is read from a request; default: the
// host of RemoteAddr. Behind the gateway or a proxy use the same function
// as auth's token endpoint (authhttp.TrustForwardedFor).
func WithClientIP(fn func(*http.Request) string) Option { return func(h *Handler) { h.clientIP = fn } }

// WithLogger sets the logger of template and dependency failures (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithClock replaces time.Now for display (tests); the auth.Service keeps
// its own clock for every rule.
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// New returns the browser sign-in over svc and accounts. It fails only
// when a theme of the built-in set cannot be parsed.
func New(svc *auth.Service, accounts Accounts, opts ...Option) (*Handler, error) {
	h := &Handler{svc: svc, accounts: accounts, now: time.Now, maxForm: 64 << 10,
		clientIP: func(r *http.Request) string {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				return r.RemoteAddr
			}
			return host
		}}
	for _, o := range opts {
		o(h)
	}
	h.log = cmp.Or(h.log, slog.Default())
	th, err := newThemes(h.themeDir, h.log)
	if err != nil {
		return nil, err
	}
	h.themes = th
	return h, nil
}

// SetBackchannelLogout makes POST logout requests that carry a refresh
// token or client credentials (Keycloak's logout of a session by its
// client) go to fn: authhttp's handler, which mounts this one.
func (h *Handler) SetBackchannelLogout(fn http.HandlerFunc) { h.backchannel = fn }

// urls are the absolute URLs of a realm's pages, under its issuer.
type urls struct {
	issuer string // {issuerBase}/realms/{realm}
	base   string // {issuerBase}
}

func (h *Handler) urls(realm iam.Realm) urls {
	iss := h.svc.Issuer(realm)
	return urls{issuer: iss, base: strings.TrimSuffix(iss, "/realms/"+string(realm))}
}

func (u urls) login(path string, flowID string) string {
	return u.issuer + "/login-actions/" + path + "?tx=" + url.QueryEscape(flowID)
}
func (u urls) account(path string) string { return u.issuer + "/account/" + path }
func (u urls) logout() string             { return u.issuer + "/protocol/openid-connect/logout" }
func (u urls) resetPassword() string      { return u.issuer + "/login-actions/reset-credentials" }
func (u urls) resource(theme, file, version string) string {
	s := u.base + "/resources/login/" + theme + "/" + file
	if version != "" {
		s += "?v=" + version
	}
	return s
}

// cookiePath is the path the realm's cookies are scoped to: the issuer's
// path with a trailing slash ("/realms/acme/").
func (u urls) cookiePath() string {
	p, err := url.Parse(u.issuer)
	if err != nil {
		return "/"
	}
	return p.Path + "/"
}

// secure reports whether cookies must be Secure: the issuer is https.
func (u urls) secure() bool { return strings.HasPrefix(u.issuer, "https://") }
