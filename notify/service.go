package notify

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// UserGetter reads a user: *users.Service in one process, the remote
// usershttp.Client across processes. Get returns CodeNotFound for a user
// that does not exist.
type UserGetter interface {
	Get(ctx context.Context, realm iam.Realm, id string) (users.User, error)
}

// VerificationSender has the users service issue a new verification link
// to a user, which comes back as user.verify_email_requested (*users.Service
// and usershttp.Client implement it).
type VerificationSender interface {
	SendVerifyEmail(ctx context.Context, realm iam.Realm, id string, lifespan time.Duration) error
}

// Defaults of the delivery worker.
const (
	DefaultMaxAttempts = 8
	DefaultMinBackoff  = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	// DefaultPollInterval is how often the worker looks for due
	// deliveries when nothing wakes it.
	DefaultPollInterval = 5 * time.Second
	// DefaultRetention is how long sent and failed deliveries stay in the
	// log.
	DefaultRetention = 90 * 24 * time.Hour
	// pruneEvery is how often one process prunes a realm's log, at most.
	pruneEvery = time.Hour
	// SendTimeout bounds one attempt (connecting, authenticating and
	// sending); the worker's lease on a claimed delivery is longer.
	SendTimeout = time.Minute
	// lease is how long a claimed delivery is left to its worker: another
	// worker takes it after that, or earlier a worker that starts under
	// the same instance name (WithInstance).
	lease      = 3 * SendTimeout
	claimBatch = 20
)

// Service is the notify service: it turns events into mail through
// templates, keeps the delivery log, retries failed deliveries with
// backoff, sends the mfa service's e-mail codes and alerts users of
// repeated failed sign-ins. It is safe for concurrent use.
type Service struct {
	store    Store
	users    UserGetter
	realms   realms.Getter
	render   *renderer
	links    *iamcrypto.Sealer  // opens action links; nil: link mails fail
	verifier VerificationSender // nil: new users with VERIFY_EMAIL get no link
	smtp     Transport          // sends through a configured server
	fallback Transport          // nil: mail without a configured server fails
	server   Server             // the deployment's default server
	public   string
	instance string // owner of this process's claims; "" for none
	now      func() time.Time
	log      *slog.Logger

	maxAttempts            int
	minBackoff, maxBackoff time.Duration
	poll                   time.Duration
	wake                   chan struct{}
	retention              time.Duration

	pruneMu sync.Mutex
	pruned  map[iam.Realm]time.Time // when this process last pruned a realm
}

// Option configures a Service.
type Option func(*Service)

// WithLinkSealer opens the action links of user.verify_email_requested and
// user.password_reset_requested with links: the sealer of the deployment
// key's users.LinkPurpose subkey (iamcrypto.NewSealerFor), as the users
// service sealed them. Without it those mails fail.
func WithLinkSealer(links *iamcrypto.Sealer) Option { return func(s *Service) { s.links = links } }

// WithVerification has new users whose e-mail must be verified (the
// VERIFY_EMAIL required action) sent a verification link through v instead
// of a welcome mail.
func WithVerification(v VerificationSender) Option { return func(s *Service) { s.verifier = v } }

// WithTransport sends mail through t (notifysmtp's SMTP transport) to the
// realm's smtpServer, else the default server (WithDefaultServer).
func WithTransport(t Transport) Option { return func(s *Service) { s.smtp = t } }

// WithDefaultServer is the SMTP server of realms without smtpServer
// settings (the deployment's OPENGATE_SMTP_*).
func WithDefaultServer(server Server) Option { return func(s *Service) { s.server = server } }

// WithFallback hands mail for which no server is configured (the realm has
// no smtpServer and there is no default) to t — a LogTransport in
// development. Without it such mail fails with an error saying so.
func WithFallback(t Transport) Option { return func(s *Service) { s.fallback = t } }

// WithPublicURL is OpenGate's public base URL (the issuer base), for the
// links of mails that carry none from their event (the account page of a
// welcome mail, the reset page of an alert). Default
// "http://localhost:8080".
func WithPublicURL(base string) Option {
	return func(s *Service) { s.public = strings.TrimSuffix(base, "/") }
}

// WithRetry sets how many attempts a delivery gets before it is failed
// (at least 1) and the backoff between them: min doubling up to max.
// Values <= 0 keep the defaults (8 attempts, 30 s doubling to 1 h).
func WithRetry(maxAttempts int, minBackoff, maxBackoff time.Duration) Option {
	return func(s *Service) {
		if maxAttempts > 0 {
			s.maxAttempts = maxAttempts
		}
		if minBackoff > 0 {
			s.minBackoff = minBackoff
		}
		if maxBackoff > 0 {
			s.maxBackoff = maxBackoff
		}
	}
}

// WithPollInterval sets how often Run looks for due deliveries when
// nothing wakes it (default 5 s).
func WithPollInterval(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.poll = d
		}
	}
}

// WithRetention keeps sent and failed deliveries for d (default
// DefaultRetention; d <= 0 keeps the default): older ones are deleted from
// a realm's log as new mail is recorded in it (at most once an hour per
// realm and process). Pending deliveries are never deleted.
func WithRetention(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.retention = d
		}
	}
}

// WithInstance names this process (OPENGATE_INSTANCE in the binaries, the
// name it has in its Kafka consumer groups): the deliveries its worker
// claims record the name, and Run, when it starts, takes back at once the
// claims a previous process of the name left unfinished (it was killed
// mid-send) instead of waiting for their 3-minute leases to pass.
//
// The name must be unique among live processes sharing the store and
// stable across restarts, and Run must run once per Service: a live
// worker's claims must never be released by another of its name. If that
// is broken, a mail being sent can be sent a second time — never lost. A
// mail whose send reached the SMTP server just before the kill can be sent
// again after a restart too (delivery is at least once). Without a name
// ("", the default) claims have no owner and only their leases end them.
func WithInstance(name string) Option { return func(s *Service) { s.instance = name } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger (default slog.Default()). It never receives
// a link, a code or a password.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service keeping its log in store, reading users through
// users and realm settings (display name, smtpServer, the alert attributes)
// through realms. Without WithTransport and WithFallback nothing can be
// sent: every delivery fails with the reason.
func New(store Store, users UserGetter, realms realms.Getter, opts ...Option) (*Service, error) {
	r, err := newRenderer()
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeInternal, Op: "notify.New", Message: "built-in templates are broken", Err: err}
	}
	s := &Service{
		store: store, users: users, realms: realms, render: r,
		public:      "http://localhost:8080",
		now:         time.Now,
		log:         slog.Default(),
		maxAttempts: DefaultMaxAttempts, minBackoff: DefaultMinBackoff, maxBackoff: DefaultMaxBackoff,
		poll:      DefaultPollInterval,
		wake:      make(chan struct{}, 1),
		retention: DefaultRetention,
		pruned:    map[iam.Realm]time.Time{},
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// timestamp is the clock in UTC at microsecond precision (what PostgreSQL
// keeps).
func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// nudge wakes Run's worker without waiting.
func (s *Service) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// prune deletes the realm's deliveries older than the retention, at most
// once per pruneEvery in this process; a failure is logged, never
// returned.
func (s *Service) prune(ctx context.Context, realm iam.Realm) {
	now := s.now()
	s.pruneMu.Lock()
	if last, ok := s.pruned[realm]; ok && now.Sub(last) < pruneEvery {
		s.pruneMu.Unlock()
		return
	}
	s.pruned[realm] = now
	s.pruneMu.Unlock()
	n, err := s.store.Prune(ctx, realm, now.Add(-s.retention))
	switch {
	case err != nil:
		s.log.WarnContext(ctx, "notify: cannot prune the delivery log", "realm", string(realm), "error", err.Error())
	case n > 0:
		s.log.InfoContext(ctx, "notify: pruned the delivery log", "realm", string(realm), "deliveries", n)
	}
}

// realm loads a realm's settings: CodeNotFound for a missing realm.
func (s *Service) realm(ctx context.Context, name iam.Realm) (realms.Realm, error) {
	if err := name.Validate(); err != nil {
		return realms.Realm{}, err
	}
	return s.realms.Get(ctx, name)
}

// serverFor returns the server and transport mail of realm r goes
// through: its smtpServer, else the default server, else the fallback.
// CodeUnavailable when none applies.
func (s *Service) serverFor(r realms.Realm) (Server, Transport, error) {
	server := s.server
	if r.SMTP.Host != "" {
		server = fromRealm(r.SMTP)
	}
	switch {
	case server.Configured() && s.smtp != nil:
		return server, s.smtp, nil
	case server.Configured():
		return Server{}, nil, iam.Errorf(iam.CodeUnavailable, "no SMTP transport is configured")
	case s.fallback != nil:
		return Server{}, s.fallback, nil
	}
	return Server{}, nil, iam.Errorf(iam.CodeUnavailable,
		"realm %s has no SMTP server (smtpServer) and there is no default server", r.Name)
}

// fromRealm converts a realm's smtpServer settings.
func fromRealm(m realms.SMTP) Server {
	return Server{Host: m.Host, Port: m.Port, From: m.From, FromName: m.FromName, ReplyTo: m.ReplyTo,
		ReplyToName: m.ReplyToName, EnvelopeFrom: m.EnvelopeFrom, User: m.User, Password: m.Password,
		SSL: m.SSL, StartTLS: m.StartTLS}
}

// locale returns a user's "locale" attribute (Keycloak's), "" if none.
func locale(u users.User) string {
	if v := u.Attributes["locale"]; len(v) > 0 {
		return v[0]
	}
	return ""
}
