package mfa

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Defaults of the Service.
const (
	// EnrolmentLifespan is how long a started TOTP enrolment waits for its
	// first code.
	EnrolmentLifespan = 10 * time.Minute
	// MaxTOTPFactors is how many authenticators a user may enrol.
	MaxTOTPFactors = 5
	// RecoveryCodeCount is the size of a set of recovery codes.
	RecoveryCodeCount = 10

	// EmailOTPDigits is the length of an email code.
	EmailOTPDigits = 6
	// DefaultEmailOTPLifespan is how long an email code stays valid.
	DefaultEmailOTPLifespan = 5 * time.Minute
	// DefaultEmailOTPAttempts is how many codes may be entered against
	// one email code before it is void.
	DefaultEmailOTPAttempts = 5
	// DefaultEmailOTPSends codes may be sent to one user per
	// DefaultEmailOTPSendWindow.
	DefaultEmailOTPSends      = 5
	DefaultEmailOTPSendWindow = 15 * time.Minute
)

// RealmGetter reads a realm's settings (its MFA and OTP policies and its
// brute-force settings); realms.Service and realms.CachedGetter satisfy it.
// CodeNotFound for a realm that does not exist.
type RealmGetter interface {
	Get(ctx context.Context, realm iam.Realm) (realms.Realm, error)
}

// RequiredActions completes a user's required action: confirming an
// authenticator completes CONFIGURE_TOTP. *users.Service and the remote
// usershttp.Client implement it. It is optional (WithRequiredActions).
type RequiredActions interface {
	// CompleteRequiredAction removes action from the user's required
	// actions (nothing when the user does not have it).
	CompleteRequiredAction(ctx context.Context, realm iam.Realm, userID, action string) error
}

// Service is the MFA service: enrolment and verification of authenticator
// apps (TOTP, RFC 6238), recovery codes, email one-time codes, and the
// brute-force lockout of second-factor verification. It is safe for
// concurrent use.
type Service struct {
	store   Store
	state   EphemeralStore
	realms  RealmGetter
	sender  Sender
	events  iam.Publisher   // nil: none
	actions RequiredActions // nil: CONFIGURE_TOTP is not completed here
	now     func() time.Time
	log     *slog.Logger
	email   emailLimits
}

// emailLimits are the email one-time code's settings.
type emailLimits struct {
	lifespan time.Duration
	attempts int
	sends    int
	window   time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithSender delivers email codes through s (default: a LogSender on the
// Service's logger, which never logs the code).
func WithSender(s Sender) Option { return func(svc *Service) { svc.sender = s } }

// WithPublisher publishes mfa.otp_sent to p: an outbox writer
// (mfapg.Outbox) in production, the bus in the embedded default. Without
// it no events are sent.
func WithPublisher(p iam.Publisher) Option { return func(s *Service) { s.events = p } }

// WithRequiredActions completes the user's CONFIGURE_TOTP required action
// through a when an authenticator is confirmed.
func WithRequiredActions(a RequiredActions) Option { return func(s *Service) { s.actions = a } }

// WithClock replaces time.Now (tests: the TOTP windows on a fixed clock).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithEmailOTP sets how long an email code lives, how many attempts it
// allows, and how many codes a user may be sent per window. Zero keeps a
// default.
func WithEmailOTP(lifespan time.Duration, attempts, sends int, window time.Duration) Option {
	return func(s *Service) {
		if lifespan > 0 {
			s.email.lifespan = lifespan
		}
		if attempts > 0 {
			s.email.attempts = attempts
		}
		if sends > 0 {
			s.email.sends = sends
		}
		if window > 0 {
			s.email.window = window
		}
	}
}

// New returns a Service keeping factors in store and verification state in
// state, reading realm settings from rs.
func New(store Store, state EphemeralStore, rs RealmGetter, opts ...Option) *Service {
	s := &Service{
		store:  store,
		state:  state,
		realms: rs,
		now:    time.Now,
		log:    slog.Default(),
		email: emailLimits{lifespan: DefaultEmailOTPLifespan, attempts: DefaultEmailOTPAttempts,
			sends: DefaultEmailOTPSends, window: DefaultEmailOTPSendWindow},
	}
	for _, o := range opts {
		o(s)
	}
	if s.sender == nil {
		s.sender = LogSender{Log: s.log}
	}
	return s
}

// timestamp is the clock in UTC at microsecond precision (what PostgreSQL
// keeps).
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// realm validates name and loads the realm's settings with the OTP policy's
// defaults applied (a realm service older than the policy sends none).
func (s *Service) realm(ctx context.Context, name iam.Realm) (realms.Realm, error) {
	if err := name.Validate(); err != nil {
		return realms.Realm{}, err
	}
	r, err := s.realms.Get(ctx, name)
	if err != nil {
		if errors.Is(err, iam.ErrNotFound) {
			return realms.Realm{}, &iam.Error{Code: iam.CodeNotFound, Message: "realm not found", Err: err}
		}
		return realms.Realm{}, err
	}
	r.OTP = r.OTP.WithDefaults()
	return r, nil
}

// checkUser validates a user id given by a caller.
func checkUser(userID string) error {
	if userID == "" || len(userID) > 255 || !iam.IsText(userID) {
		return iam.Invalidf("userId", "a user id is required")
	}
	return nil
}

// Factors returns the user's confirmed factors, oldest first, without
// their secrets. A user without factors has none. CodeNotFound for an
// unknown realm.
func (s *Service) Factors(ctx context.Context, realm iam.Realm, userID string) ([]PublicFactor, error) {
	const op = "mfa.Factors"
	if _, err := s.realm(ctx, realm); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if err := checkUser(userID); err != nil {
		return nil, iam.Wrap(op, err)
	}
	all, err := s.confirmed(ctx, realm, userID)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	out := make([]PublicFactor, 0, len(all))
	for _, f := range all {
		out = append(out, f.Public())
	}
	return out, nil
}

// confirmed returns the user's confirmed factors with their secrets.
func (s *Service) confirmed(ctx context.Context, realm iam.Realm, userID string) ([]Factor, error) {
	all, err := s.store.List(ctx, realm, userID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, f := range all {
		if f.Confirmed() {
			out = append(out, f)
		}
	}
	return out, nil
}

// Required reports whether a password login of the user needs a second
// factor: always when the realm's mfaPolicy is required, never when it is
// off, and otherwise when the user has a confirmed factor. factors are the
// user's confirmed factors (Factors).
func Required(r realms.Realm, factors []PublicFactor) bool {
	switch r.MFA {
	case realms.MFARequired:
		return true
	case realms.MFAOff:
		return false
	}
	return len(factors) > 0
}

// HasTOTP reports whether factors hold a confirmed authenticator.
func HasTOTP(factors []PublicFactor) bool {
	for _, f := range factors {
		if f.Type == TypeTOTP && !f.ConfirmedAt.IsZero() {
			return true
		}
	}
	return false
}
