package session

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// RealmGetter reads a realm's settings: the session service needs its
// ssoSessionIdleTimeout and ssoSessionMaxLifespan. Get returns CodeNotFound
// for an unknown realm. It is called on every login and touch, so
// implementations should cache (realms.CachedGetter).
type RealmGetter interface {
	Get(ctx context.Context, realm iam.Realm) (realms.Realm, error)
}

// Page sizes of the lists.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Relay defaults: see RelayPending.
const (
	// RelayGrace is how old a pending event must be before RelayPending
	// publishes it: longer than a termination takes to publish its own
	// event, so the relay does not race it.
	RelayGrace = time.Minute
	// RelayEvery is how often Run's relay looks for pending events.
	RelayEvery = 15 * time.Second
)

// Service is the session service: it records login sessions, answers
// whether one is alive, lists them, and terminates them, publishing one
// session.terminated per termination. It is safe for concurrent use.
type Service struct {
	store  Store
	realms RealmGetter
	events iam.Publisher // nil: events stay pending
	log    *slog.Logger
	now    func() time.Time
	grace  time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithPublisher publishes session.terminated to p (the bus). Without it the
// events stay pending in the store.
func WithPublisher(p iam.Publisher) Option { return func(s *Service) { s.events = p } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithClock replaces time.Now (tests). Give the store the same clock.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRelayGrace sets how old a pending event must be before RelayPending
// publishes it (default RelayGrace).
func WithRelayGrace(d time.Duration) Option {
	return func(s *Service) {
		if d >= 0 {
			s.grace = d
		}
	}
}

// New returns a Service over store, reading lifespans from realms.
func New(store Store, realms RealmGetter, opts ...Option) *Service {
	s := &Service{store: store, realms: realms, now: time.Now, grace: RelayGrace}
	for _, o := range opts {
		o(s)
	}
	s.log = cmp.Or(s.log, slog.Default())
	return s
}

// lifespans returns realm's idle timeout and max lifespan, with the realms
// service's defaults for unset ones.
func (s *Service) lifespans(ctx context.Context, realm iam.Realm) (idle, max time.Duration, err error) {
	r, err := s.realms.Get(ctx, realm)
	if err != nil {
		return 0, 0, err
	}
	idle, max = r.SSOSessionIdleTimeout, r.SSOSessionMaxLifespan
	if idle <= 0 {
		idle = realms.DefaultSSOSessionIdleTimeout
	}
	if max <= 0 {
		max = realms.DefaultSSOSessionMaxLifespan
	}
	return idle, max, nil
}

// Create records a login: session in.ID of user in.UserID started at
// in.Started (zero: now) by the clients in in.Clients, from in.IPAddress
// and in.UserAgent. ExpiresAt is in.ExpiresAt when set (auth computes it at
// login), else Started plus the realm's max lifespan; the session is idle
// from now for the realm's idle timeout. A second login into an active
// session (another client) joins it (Store.Create). Errors: CodeInvalid for
// a malformed realm or a missing id or user id, or a session whose max
// lifespan is over; CodeConflict when the session has ended already (it
// never comes back); CodeNotFound for an unknown realm.
func (s *Service) Create(ctx context.Context, realm iam.Realm, in Session) (Session, error) {
	const op = "session.Create"
	if err := realm.Validate(); err != nil {
		return Session{}, iam.Wrap(op, err)
	}
	switch {
	case in.ID == "":
		return Session{}, iam.Wrap(op, iam.Invalidf("id", "session id is required"))
	case in.UserID == "":
		return Session{}, iam.Wrap(op, iam.Invalidf("userId", "user id is required"))
	}
	idle, max, err := s.lifespans(ctx, realm)
	if err != nil {
		return Session{}, iam.Wrap(op, err)
	}
	now := s.now()
	in = in.Clone()
	in.Realm = realm
	if in.Started.IsZero() {
		in.Started = now
	}
	if in.ExpiresAt.IsZero() {
		in.ExpiresAt = in.Started.Add(max)
	}
	if !now.Before(in.ExpiresAt) {
		return Session{}, iam.Wrap(op, iam.Invalidf("expiresAt", "the session's max lifespan is over"))
	}
	in.LastAccess = now
	in.IdleExpiresAt = now.Add(idle)
	if in.IdleExpiresAt.After(in.ExpiresAt) {
		in.IdleExpiresAt = in.ExpiresAt
	}
	out, err := s.store.Create(ctx, in)
	return out, iam.Wrap(op, err)
}

// Get returns active session id of realm, or CodeNotFound.
func (s *Service) Get(ctx context.Context, realm iam.Realm, id string) (Session, error) {
	if err := realm.Validate(); err != nil {
		return Session{}, iam.Wrap("session.Get", err)
	}
	out, err := s.store.Get(ctx, realm, id)
	return out, iam.Wrap("session.Get", err)
}

// Alive reports whether session id of realm may still be used: false once
// it has ended (terminated, or expired idle or at its max lifespan), true
// while it is active — and for an id the service has not seen, because
// sessions are created from auth.login.success asynchronously: a token
// refreshed right after its login must not be refused. An ended id is
// remembered until the session's max lifespan, after which it is unknown
// again: auth bounds every session by its max lifespan itself, and revokes
// a terminated session's tokens on session.terminated. It satisfies
// auth.SessionChecker. A malformed realm is CodeInvalid.
func (s *Service) Alive(ctx context.Context, realm iam.Realm, id string) (bool, error) {
	if err := realm.Validate(); err != nil {
		return false, iam.Wrap("session.Alive", err)
	}
	st, err := s.store.State(ctx, realm, id)
	if err != nil {
		return false, iam.Wrap("session.Alive", err)
	}
	return st != Ended, nil
}

// Touch records a use of session id of realm (a token refresh): its last
// access becomes now and it stays alive for the realm's idle timeout more,
// never past its max lifespan. It reports whether the session is alive, as
// Alive does (an unknown id is alive, and nothing is recorded). It
// satisfies auth.SessionChecker.
func (s *Service) Touch(ctx context.Context, realm iam.Realm, id string) (bool, error) {
	const op = "session.Touch"
	if err := realm.Validate(); err != nil {
		return false, iam.Wrap(op, err)
	}
	idle, _, err := s.lifespans(ctx, realm)
	if errors.Is(err, iam.ErrNotFound) {
		return false, nil // the realm is gone, and its sessions with it
	}
	if err != nil {
		return false, iam.Wrap(op, err)
	}
	now := s.now()
	_, err = s.store.Touch(ctx, realm, id, now, now.Add(idle))
	if !errors.Is(err, iam.ErrNotFound) {
		return err == nil, iam.Wrap(op, err)
	}
	return s.Alive(ctx, realm, id)
}

// ListByUser returns the active sessions of user userID in realm, oldest
// first.
func (s *Service) ListByUser(ctx context.Context, realm iam.Realm, userID string) ([]Session, error) {
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap("session.ListByUser", err)
	}
	if userID == "" {
		return nil, iam.Wrap("session.ListByUser", iam.Invalidf("userId", "user id is required"))
	}
	out, err := s.store.List(ctx, realm, Filter{UserID: userID})
	return out, iam.Wrap("session.ListByUser", err)
}

// ListByClient returns the active sessions of realm that client clientUUID
// used, oldest first: max of them (0: DefaultPageSize, capped at
// MaxPageSize) after skipping first. Negative first or max are CodeInvalid.
func (s *Service) ListByClient(ctx context.Context, realm iam.Realm, clientUUID string, first, max int) ([]Session, error) {
	const op = "session.ListByClient"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	switch {
	case clientUUID == "":
		return nil, iam.Wrap(op, iam.Invalidf("id", "client id is required"))
	case first < 0:
		return nil, iam.Wrap(op, iam.Invalidf("first", "first must not be negative"))
	case max < 0:
		return nil, iam.Wrap(op, iam.Invalidf("max", "max must not be negative"))
	case max == 0:
		max = DefaultPageSize
	}
	out, err := s.store.List(ctx, realm, Filter{ClientUUID: clientUUID, First: first, Max: min(max, MaxPageSize)})
	return out, iam.Wrap(op, err)
}

// Stats counts the active sessions of realm per client, ordered by clientId.
func (s *Service) Stats(ctx context.Context, realm iam.Realm) ([]ClientStats, error) {
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap("session.Stats", err)
	}
	out, err := s.store.Stats(ctx, realm)
	return out, iam.Wrap("session.Stats", err)
}
