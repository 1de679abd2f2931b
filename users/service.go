package users

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users/password"
)

// RealmGetter reads a realm's settings; realms.Service satisfies it. Get
// returns CodeNotFound for a realm that does not exist.
type RealmGetter interface {
	Get(ctx context.Context, realm iam.Realm) (realms.Realm, error)
}

// Hasher hashes and verifies passwords. The default is package password's
// Hash and Verify; a deployment may wrap it (e.g. to add a pepper or count
// verifications).
type Hasher interface {
	// Hash returns the encoded argon2id hash of pw under p.
	Hash(pw string, p password.Params) (string, error)
	// Verify reports whether pw matches encoded; an error means encoded is
	// unusable.
	Verify(encoded, pw string) (bool, error)
}

// DefaultHasher is package password's Hash and Verify.
type DefaultHasher struct{}

// Hash calls password.Hash.
func (DefaultHasher) Hash(pw string, p password.Params) (string, error) { return password.Hash(pw, p) }

// Verify calls password.Verify.
func (DefaultHasher) Verify(encoded, pw string) (bool, error) { return password.Verify(encoded, pw) }

var _ Hasher = DefaultHasher{}

// ErrRealmNotFound is the cause of the CodeNotFound error every method
// returns for a realm that does not exist, telling it apart from a missing
// user with errors.Is.
var ErrRealmNotFound = errors.New("users: realm not found")

// Default lifespans of action tokens.
const (
	DefaultVerifyEmailLifespan = 12 * time.Hour
	DefaultResetLifespan       = 30 * time.Minute
	DefaultAdminActionLifespan = 12 * time.Hour
	// MaxActionLifespan caps the lifespan an administrator may ask for.
	MaxActionLifespan = 30 * 24 * time.Hour
)

// Service is the users service: validation, password policy and hashing,
// authentication, action tokens and events over a Store. It is safe for
// concurrent use. Its password hashing runs under a bound (WithHashLimit):
// beyond it, calls that hash answer CodeUnavailable with a retry hint.
type Service struct {
	store     Store
	realms    RealmGetter
	roles     RoleReader // nil: the rule of power.go is not enforced
	now       func() time.Time
	publicURL string
	hasher    Hasher
	hashing   *password.Limiter
	params    password.Params
	verifyTTL time.Duration
	resetTTL  time.Duration
	adminTTL  time.Duration
	log       *slog.Logger

	guard        PasswordGuard     // counts current-password checks (WithPasswordGuard); nil: none
	resetLimiter Limiter           // counts reset requests (WithResetLimits)
	resetLimits  ResetLimits       // per login and per address
	resetRun     func(func())      // runs an accepted request's work (WithResetRunner)
	factors      FactorCredentials // nil: the password is the only credential
	links        *iamcrypto.Sealer // seals action links in events; nil: none can be sent
	cache        *userCache        // Get's cache (WithCache); nil: none
	cached       bool              // WithCache, of cacheTTL and cacheSize
	cacheTTL     time.Duration
	cacheSize    int

	dummyMu sync.Mutex
	dummies map[password.Params]string // dummy hash per parameter set
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithPublicURL sets the public base URL of OpenGate (the gateway), used in
// the links of verification and reset emails (default
// "http://localhost:8080").
func WithPublicURL(base string) Option {
	return func(s *Service) { s.publicURL = strings.TrimSuffix(base, "/") }
}

// WithHasher replaces the password hasher (default DefaultHasher).
func WithHasher(h Hasher) Option { return func(s *Service) { s.hasher = h } }

// WithParams sets the argon2id parameters new hashes use before a realm's
// policy overrides them (default password.DefaultParams()).
func WithParams(p password.Params) Option { return func(s *Service) { s.params = p } }

// WithTokenLifespans sets how long email-verification links, self-service
// password-reset links and administrator-requested action links stay valid
// (defaults 12h, 30m and 12h). Zero keeps a default.
func WithTokenLifespans(verifyEmail, reset, adminActions time.Duration) Option {
	return func(s *Service) {
		if verifyEmail > 0 {
			s.verifyTTL = verifyEmail
		}
		if reset > 0 {
			s.resetTTL = reset
		}
		if adminActions > 0 {
			s.adminTTL = adminActions
		}
	}
}

// LinkPurpose is the purpose (iamcrypto.DeriveKey) of the subkey of the
// deployment key that seals action links in events: the users service seals
// with it and the notify service opens with it.
const LinkPurpose = "opengate action links"

// WithLinkSealer seals the action links of user.verify_email_requested and
// user.password_reset_requested with links: the sealer of the deployment
// key's LinkPurpose subkey (iamcrypto.NewSealerFor), which the notify
// service opens them with. Without it no verification or reset link can be
// issued (CodeInternal): a link never travels in clear.
func WithLinkSealer(links *iamcrypto.Sealer) Option { return func(s *Service) { s.links = links } }

// WithLogger sets the logger for failures that do not fail the call, such as
// a failed rehash after a successful login (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service storing users in store and reading realm settings
// from rs.
func New(store Store, rs RealmGetter, opts ...Option) *Service {
	s := &Service{
		store:     store,
		realms:    rs,
		now:       time.Now,
		publicURL: "http://localhost:8080",
		hasher:    DefaultHasher{},
		hashing:   password.NewLimiter(0, -1),
		params:    password.DefaultParams(),
		verifyTTL: DefaultVerifyEmailLifespan,
		resetTTL:  DefaultResetLifespan,
		adminTTL:  DefaultAdminActionLifespan,
		log:       slog.Default(),
		dummies:   map[password.Params]string{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.resetLimiter == nil {
		s.resetLimiter, s.resetLimits = NewMemoryLimiter(s.now, 0), DefaultResetLimits()
	}
	if s.resetRun == nil {
		s.resetRun = backgroundRunner(DefaultResetWorkers, s.log)
	}
	if s.cached {
		s.cache = newUserCache(s.cacheTTL, s.cacheSize, s.now)
		s.store = invalidatingStore{Store: s.store, cache: s.cache}
	}
	return s
}

// realm validates name and loads its settings: CodeNotFound for a realm that
// does not exist.
func (s *Service) realm(ctx context.Context, name iam.Realm) (realms.Realm, error) {
	if err := name.Validate(); err != nil {
		return realms.Realm{}, err
	}
	r, err := s.realms.Get(ctx, name)
	if err != nil {
		if errors.Is(err, iam.ErrNotFound) {
			return realms.Realm{}, &iam.Error{Code: iam.CodeNotFound, Message: "realm not found", Err: ErrRealmNotFound}
		}
		return realms.Realm{}, err
	}
	return r, nil
}

// HashParams returns the argon2id parameters of new hashes in realm r: the
// service's parameters with the realm policy's HashIterations and
// HashMemoryKiB when they are set and within package password's bounds
// (memory, iterations and their product). The realm service refuses
// policies beyond them; an override stored before a bound was lowered is
// ignored, as are Keycloak-style PBKDF2 iteration counts above
// password.MaxArgon2Iterations (as Keycloak's own argon2 provider does).
func (s *Service) HashParams(r realms.Realm) password.Params {
	p := s.params
	if t := r.PasswordPolicy.HashIterations; t > 0 && t <= password.MaxArgon2Iterations {
		q := p
		q.Iterations = uint32(t)
		if q.Validate() == nil {
			p = q
		}
	}
	if m := r.PasswordPolicy.HashMemoryKiB; m >= 8*int(p.Parallelism) && m <= password.MaxMemoryKiB {
		q := p
		q.Memory = uint32(m)
		if q.Validate() == nil {
			p = q
		}
	}
	return p
}

// events builds events, failing on the first constructor error.
func events(fns ...func() (iam.Event, error)) ([]iam.Event, error) {
	out := make([]iam.Event, 0, len(fns))
	for _, fn := range fns {
		e, err := fn()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
