package notifytest

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifysmtp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

// ServiceHarness is one fresh, empty store for RunService, and a way to
// read everything it keeps as it keeps it (rows, not domain values), so
// that a case can look for secrets in it.
type ServiceHarness struct {
	Store notify.Store
	Dump  func(t *testing.T) string
}

// RunService runs the notify Service's cases over stores newHarness makes:
// real users and realms services in memory, a real SMTP server in the test
// process (SMTPServer) and the SMTP transport, on a clock the cases move.
func RunService(t *testing.T, newHarness func(t *testing.T) ServiceHarness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"WelcomeMailArrivesFinished", testWelcome},
		{"ImportedDisabledAndAddresslessUsersGetNoWelcome", testNoWelcome},
		{"NewUserAwaitingVerificationGetsAWorkingLink", testVerifyOnCreate},
		{"PasswordResetMailCarriesAWorkingLink", testReset},
		{"ExecuteActionsMailListsTheActions", testExecuteActions},
		{"MailIsInTheUsersLanguage", testLocales},
		{"RealmTemplateOverridesWin", testOverrides},
		{"TheSameEventTwiceSendsOneMail", testRedelivery},
		{"ARefusingServerIsRetriedWithBackoffThenFailed", testRetries},
		{"AnAdministratorRetriesAFailedMail", testAdminRetry},
		{"AnExpiredLinkIsNeverSent", testExpiredLink},
		{"FailedSignInsAlertOncePerWindow", testAlerts},
		{"EmailCodesArriveAndAreNeverKept", testOTP},
		{"NoSecretInTheDeliveryLogOrTheProcessLog", testNoSecrets},
		{"ALeakyTransportsErrorsAreMasked", testLeakyTransport},
		{"WithoutAServerMailFailsOrIsLogged", testNoServer},
		{"TestSMTPMailsTheCaller", testSMTPTest},
		{"ADeletedRealmTakesItsDeliveries", testRealmDeleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newEnv(t, newHarness(t)))
		})
	}
}

// smtpPassword is the realm's SMTP password: never in a log or the store.
const smtpPassword = "smtp-secret-pass-4711"

// env is a notify Service with everything around it.
type env struct {
	h      ServiceHarness
	svc    *notify.Service
	users  *users.Service
	realms *realms.Service
	events *iamtest.Recorder // what the users service published
	pumped int
	smtp   *SMTPServer
	clock  *Clock
	log    *SyncBuffer
	links  *iamcrypto.Sealer
	opts   []notify.Option
}

// newEnv makes realm acme ("Acme Corp", its mail through the test server
// with STARTTLS and a password) and beta (no smtpServer).
func newEnv(t *testing.T, h ServiceHarness, opts ...notify.Option) *env {
	t.Helper()
	e := &env{h: h, events: iamtest.NewRecorder(), clock: NewClock(time.Now()), log: &SyncBuffer{},
		smtp: NewSMTPServer(t, WithAuth("mailer", smtpPassword)), links: userstest.NewLinkSealer(t)}
	e.realms = realms.New(realmsmem.New(nil))
	acme := realms.Realm{Name: "acme", DisplayName: "Acme Corp", Enabled: true,
		SMTP: realms.SMTP{Host: e.smtp.Host, Port: e.smtp.Port, From: "noreply@acme.test", FromName: "Acme Login",
			ReplyTo: "help@acme.test", User: "mailer", Password: smtpPassword, StartTLS: true},
		Attributes: map[string]string{notify.AttrAlertThreshold: "3", notify.AttrAlertWindow: "600"}}
	for _, r := range []realms.Realm{acme, {Name: "beta", Enabled: true}} {
		if _, err := e.realms.Create(ctx(t), r); err != nil {
			t.Fatal(err)
		}
	}
	e.users = users.New(usersmem.New(e.events), e.realms, users.WithParams(userstest.FastParams),
		users.WithLinkSealer(e.links), users.WithPublicURL("https://id.acme.test"), users.WithClock(e.clock.Now))
	e.opts = append([]notify.Option{notify.WithLinkSealer(e.links), notify.WithVerification(e.users),
		notify.WithTransport(notifysmtp.New(notifysmtp.WithTLSConfig(&tls.Config{RootCAs: e.smtp.RootCAs, MinVersion: tls.VersionTLS12}),
			notifysmtp.WithTimeout(5*time.Second))),
		notify.WithPublicURL("https://id.acme.test"), notify.WithClock(e.clock.Now),
		notify.WithRetry(3, time.Minute, 10*time.Minute),
		notify.WithLogger(slog.New(slog.NewJSONHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})))}, opts...)
	e.svc = e.service(t)
	return e
}

// service returns a Service over the env's store with its options and
// extra.
func (e *env) service(t *testing.T, extra ...notify.Option) *notify.Service {
	t.Helper()
	svc, err := notify.New(e.h.Store, e.users, e.realms, append(append([]notify.Option{}, e.opts...), extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// user creates an enabled user of acme with an address and a password.
func (e *env) user(t *testing.T, u users.User) users.User {
	t.Helper()
	u.Enabled = true
	created, err := e.users.Create(ctx(t), "acme", u, users.NewCredential{Value: "Passw0rd-of-a-test"})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// pump hands the users service's new events to HandleEvent and delivers
// what is due.
func (e *env) pump(t *testing.T) {
	t.Helper()
	all := e.events.Events(t)
	for _, ev := range all[e.pumped:] {
		if err := e.svc.HandleEvent(ctx(t), ev); err != nil {
			t.Fatalf("HandleEvent(%s): %v", ev.Type, err)
		}
	}
	e.pumped = len(all)
	e.deliver(t)
}

// deliver runs the worker once.
func (e *env) deliver(t *testing.T) int {
	t.Helper()
	n, err := e.svc.DeliverDue(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// last returns the last event of topic the users service published.
func (e *env) last(t *testing.T, topic string) iam.Event {
	t.Helper()
	all := e.events.Events(t)
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Type == topic {
			return all[i]
		}
	}
	t.Fatalf("no %s event", topic)
	return iam.Event{}
}

// mails returns what the SMTP server received, failing unless it is n
// messages.
func (e *env) mails(t *testing.T, n int) []Received {
	t.Helper()
	got := e.smtp.Messages()
	if len(got) != n {
		subjects := make([]string, len(got))
		for i, m := range got {
			subjects[i] = m.Subject()
		}
		t.Fatalf("%d mails received %q, want %d", len(got), subjects, n)
	}
	return got
}

// deliveries lists acme's deliveries, newest first.
func (e *env) deliveries(t *testing.T, f notify.Filter) []notify.Delivery {
	t.Helper()
	list, err := e.svc.List(ctx(t), "acme", f)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// loginFailure is an auth.login.failure event of user at the env's clock.
func (e *env) loginFailure(t *testing.T, userID, reason string) iam.Event {
	t.Helper()
	ev, err := iam.NewEvent(auth.EventSource, iam.TopicLoginFailure, "acme", userID, auth.LoginFailureEvent{
		UserID: userID, ClientID: "web", Reason: reason, GrantType: "password", IPAddress: "198.51.100.7"})
	if err != nil {
		t.Fatal(err)
	}
	ev.Time = e.clock.Now().UTC()
	return ev
}

// linkKey returns the key of the first link to path in a mail's text.
func linkKey(t *testing.T, m Received, path string) string {
	t.Helper()
	i := strings.Index(m.Text, path+"?key=")
	if i < 0 {
		t.Fatalf("no %s link in %q", path, m.Text)
	}
	rest := m.Text[i+len(path)+len("?key="):]
	if j := strings.IndexAny(rest, " \r\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// Clock is a clock tests move by hand; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at t (at microsecond precision).
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC().Truncate(time.Microsecond)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// SyncBuffer is a bytes.Buffer safe for concurrent use, for a logger's
// output.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// slogTo is a JSON logger writing to w.
func slogTo(w *SyncBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
