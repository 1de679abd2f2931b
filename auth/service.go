package auth

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// EventSource is the CloudEvents source of auth's events.
const EventSource = "/opengate/auth"

// Defaults applied when a realm leaves a lifespan at zero.
const (
	defaultAccessTokenLifespan = 5 * time.Minute
	defaultSSOSessionIdle      = 30 * time.Minute
	defaultSSOSessionMax       = 10 * time.Hour
	defaultAccessCodeLifespan  = time.Minute
)

// Service is the OAuth 2.0 / OpenID Connect token service: it issues,
// refreshes, introspects and revokes tokens, publishes the realms' signing
// keys, and protects passwords against brute force. It is safe for concurrent
// use.
type Service struct {
	issuerBase string
	realms     RealmGetter
	clients    ClientAuthenticator
	users      UserAuthenticator
	finder     UserFinder // nil: failures are counted per IP only
	roles      RoleResolver
	tokens     TokenStore
	keys       *keyring
	events     iam.Publisher   // nil: no events
	sessions   SessionChecker  // nil: refresh-token records decide
	factors    SecondFactors   // nil: no second factors (mfaPolicy required refuses password grants)
	groups     GroupResolver   // nil: group-membership mappers add nothing
	reserved   map[string]bool // claims no protocol mapper may set (reservedClaims)
	now        func() time.Time
	maxToken   time.Duration // cap of every token lifetime
	ipFactor   int           // per-IP failure factor multiplier
	epochs     epochs
	metrics    Metrics        // noMetrics without WithMetrics
	verified   *authjwt.Cache // nil without WithTokenCache
	// revoked is the revocation check of VerifyAccessToken: the token
	// store's.
	revoked func(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error)
	log     *slog.Logger // failed logins
}

// Option configures a Service.
type Option func(*Service)

// WithPublisher sends auth.login.success, auth.login.failure and auth.logout
// events to p: an outbox writer (authpg.Outbox) in production, an in-process
// bus in the embedded default. Without it no events are sent.
func WithPublisher(p iam.Publisher) Option { return func(s *Service) { s.events = p } }

// WithUserFinder counts failed logins per user as well as per IP address:
// brute-force protection per user needs the user id of a failed attempt,
// which f finds by the login name. Without it failures are counted per IP
// address only.
func WithUserFinder(f UserFinder) Option { return func(s *Service) { s.finder = f } }

// WithSessionChecker asks c whether a session is alive on every refresh
// (Touch, which also records the use), code exchange and introspection
// (Alive): a session the session service ended stops working even before
// auth consumes its session.terminated.
func WithSessionChecker(c SessionChecker) Option { return func(s *Service) { s.sessions = c } }

// WithTokenCache keeps up to size access tokens whose signature
// VerifyAccessToken verified (introspection, userinfo, revocation) in an
// authjwt.Cache (size <= 0: authjwt.DefaultCacheSize), so that a token
// presented again skips the parsing and the signature check — never the
// checks of what can change: expiry, the signing key still being the
// realm's under its kid, issuer, realm and the realm's current id, and
// revocation (the session's liveness, which introspection asks the session
// service, is not part of the verification and is asked on every use as
// before). The semantics are authverify.WithTokenCache's. Without it every
// token is verified in full.
func WithTokenCache(size int) Option {
	return func(s *Service) { s.verified = authjwt.NewCache(size) }
}

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithMaxTokenLifespan caps the lifetime of every access and ID token
// (default 24h, whatever realm or client settings say) and is how long a
// rotated-out signing key stays in the JWKS.
func WithMaxTokenLifespan(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.maxToken = d
		}
	}
}

// WithKeyRotation rotates each realm's signing key when it is older than
// every (0, the default, rotates only on request).
func WithKeyRotation(every time.Duration) Option {
	return func(s *Service) { s.keys.rotation = every }
}

// WithKeyCacheTTL sets how long a replica uses its cached copy of a realm's
// keys before reading the KeyStore again (default 10s); a rotation by another
// replica is picked up within it.
func WithKeyCacheTTL(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.keys.ttl = d
		}
	}
}

// WithIPFailureFactor sets how many times the realm's failure factor an IP
// address may fail before it has to wait (default 5; an address may front
// many users).
func WithIPFailureFactor(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.ipFactor = n
		}
	}
}

// New returns a Service issuing tokens as {issuerBase}/realms/{realm}.
// issuerBase is the public base URL clients reach OpenGate at (for example
// "https://id.example.com" or "http://localhost:8080"); it is required,
// because deriving the issuer from request headers would let a caller choose
// it. It must be an absolute http(s) URL without query or fragment
// (CodeInvalid otherwise). Failed logins are counted per user only with
// WithUserFinder.
func New(issuerBase string, realms RealmGetter, clients ClientAuthenticator, users UserAuthenticator,
	roles RoleResolver, keys KeyStore, tokens TokenStore, opts ...Option) (*Service, error) {
	base, err := parseIssuerBase(issuerBase)
	if err != nil {
		return nil, err
	}
	s := &Service{
		issuerBase: base,
		realms:     realms,
		clients:    clients,
		users:      users,
		roles:      roles,
		tokens:     tokens,
		now:        time.Now,
		maxToken:   24 * time.Hour,
		ipFactor:   5,
		metrics:    noMetrics{},
		log:        slog.Default(),
		reserved:   reservedClaims(),
	}
	s.keys = newKeyring(keys, func() time.Time { return s.now() })
	s.revoked = tokens.AccessTokenRevoked
	for _, o := range opts {
		o(s)
	}
	s.keys.retention = s.maxToken
	return s, nil
}

func parseIssuerBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", iam.Invalidf("issuerBase", "issuer base must be an absolute http(s) URL without query or fragment")
	}
	return strings.TrimSuffix(raw, "/"), nil
}

// Issuer returns the issuer of realm: {issuerBase}/realms/{realm}.
func (s *Service) Issuer(realm iam.Realm) string {
	return s.issuerBase + "/realms/" + string(realm)
}

// Realm returns realm's settings; CodeNotFound for an unknown realm.
func (s *Service) Realm(ctx context.Context, realm iam.Realm) (realms.Realm, error) {
	if err := realm.Validate(); err != nil {
		return realms.Realm{}, err
	}
	r, err := s.realms.Get(ctx, realm)
	if err != nil {
		return realms.Realm{}, iam.Wrap("auth.Realm", err)
	}
	return r, nil
}

// enabledRealm returns realm's settings if the realm exists and is enabled.
func (s *Service) enabledRealm(ctx context.Context, realm iam.Realm) (realms.Realm, error) {
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return r, err
	}
	if !r.Enabled {
		return r, oauthErr(ErrorInvalidRequest, "Realm not enabled")
	}
	return r, nil
}

// lifespans of a realm with defaults applied.
func accessLifespan(r realms.Realm) time.Duration {
	return orDefault(r.AccessTokenLifespan, defaultAccessTokenLifespan)
}
func sessionIdle(r realms.Realm) time.Duration {
	return orDefault(r.SSOSessionIdleTimeout, defaultSSOSessionIdle)
}
func sessionMax(r realms.Realm) time.Duration {
	return orDefault(r.SSOSessionMaxLifespan, defaultSSOSessionMax)
}
func codeLifespan(r realms.Realm) time.Duration {
	return orDefault(r.AccessCodeLifespan, defaultAccessCodeLifespan)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// signingAlg is the realm's algorithm, RS256 when unset.
func signingAlg(r realms.Realm) string {
	if r.SigningAlgorithm == "" {
		return realms.AlgRS256
	}
	return r.SigningAlgorithm
}
