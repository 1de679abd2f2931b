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
		fn   func(*testing.T, *Env)
	}{
		{"WelcomeMailArrivesFinished", testWelcome},
		{"ImportedDisabledAndAddresslessUsersGetNoWelcome", testNoWelcome},
		{"NewUserAwaitingVerificationGetsAWorkingLink", testVerifyOnCreate},
		{"PasswordResetMailCarriesAWorkingLink", testReset},
		{"ExecuteActionsMailListsTheActions", testExecuteActions},
		{"MailIsInTheUsersLanguage", testLocales},
		{"MailIsInTheLanguageTheUserHasWhenItIsSent", testLocaleWhenSent},
		{"RecordingAMailReadsNoUserSendingItReadsOne", testRecordingReadsNoUser},
		{"AUserDeletedBeforeTheirMailWentGetsNone", testDeletedBeforeSending},
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
		{"SettledDeliveriesAreForgottenAfterTheRetention", testRetention},
		{"ARestartedWorkerSendsWhatItsKilledPredecessorClaimedAtOnce", testRestartTakesBackClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, NewEnv(t, newHarness(t)))
		})
	}
}

// smtpPassword is the realm's SMTP password: never in a log or the store.
const smtpPassword = "smtp-secret-pass-4711"

// Env is a notify Service with everything around it: real users and realms
// services in memory, a real SMTP server and the SMTP transport trusting
// it, on a clock the test moves.
type Env struct {
	h      ServiceHarness
	Svc    *notify.Service
	Users  *users.Service
	Realms *realms.Service
	// Events is what the users service published (Pump hands them on).
	Events *iamtest.Recorder
	pumped int
	SMTP   *SMTPServer
	Clock  *Clock
	// Log is the Service's log (JSON).
	Log   *SyncBuffer
	Links *iamcrypto.Sealer
	opts  []notify.Option
}

// NewEnv makes realm acme ("Acme Corp", its mail through the test server
// with STARTTLS and a password; alerts after 3 failed sign-ins within 10
// minutes) and beta (no smtpServer), and a Service over h's store with
// opts after the Env's own.
func NewEnv(t *testing.T, h ServiceHarness, opts ...notify.Option) *Env {
	t.Helper()
	e := &Env{h: h, Events: iamtest.NewRecorder(), Clock: NewClock(time.Now()), Log: &SyncBuffer{},
		SMTP: NewSMTPServer(t, WithAuth("mailer", smtpPassword)), Links: userstest.NewLinkSealer(t)}
	e.Realms = realms.New(realmsmem.New(nil))
	acme := realms.Realm{Name: "acme", DisplayName: "Acme Corp", Enabled: true,
		SMTP: realms.SMTP{Host: e.SMTP.Host, Port: e.SMTP.Port, From: "noreply@acme.test", FromName: "Acme Login",
			ReplyTo: "help@acme.test", User: "mailer", Password: smtpPassword, StartTLS: true},
		Attributes: map[string]string{notify.AttrAlertThreshold: "3", notify.AttrAlertWindow: "600"}}
	for _, r := range []realms.Realm{acme, {Name: "beta", Enabled: true}} {
		if _, err := e.Realms.Create(ctx(t), r); err != nil {
			t.Fatal(err)
		}
	}
	e.Users = users.New(usersmem.New(e.Events), e.Realms, users.WithParams(userstest.FastParams),
		users.WithLinkSealer(e.Links), users.WithPublicURL("https://id.acme.test"), users.WithClock(e.Clock.Now),
		users.WithResetRunner(func(work func()) { work() }))
	e.opts = append([]notify.Option{notify.WithLinkSealer(e.Links), notify.WithVerification(e.Users),
		notify.WithTransport(notifysmtp.New(notifysmtp.WithTLSConfig(&tls.Config{RootCAs: e.SMTP.RootCAs, MinVersion: tls.VersionTLS12}),
			notifysmtp.WithTimeout(5*time.Second))),
		notify.WithPublicURL("https://id.acme.test"), notify.WithClock(e.Clock.Now),
		notify.WithRetry(3, time.Minute, 10*time.Minute),
		notify.WithLogger(slog.New(slog.NewJSONHandler(e.Log, &slog.HandlerOptions{Level: slog.LevelDebug})))}, opts...)
	e.Svc = e.Service(t)
	return e
}

// Service returns a Service over the env's store with its options and
// extra.
func (e *Env) Service(t *testing.T, extra ...notify.Option) *notify.Service {
	t.Helper()
	svc, err := notify.New(e.h.Store, e.Users, e.Realms, append(append([]notify.Option{}, e.opts...), extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// User creates an enabled user of acme with an address and a password.
func (e *Env) User(t *testing.T, u users.User) users.User {
	t.Helper()
	u.Enabled = true
	created, err := e.Users.Create(ctx(t), "acme", u, users.NewCredential{Value: "Passw0rd-of-a-test"})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// Pump hands the users service's new events to HandleEvent and delivers
// what is due.
func (e *Env) Pump(t *testing.T) {
	t.Helper()
	e.Handle(t)
	e.Deliver(t)
}

// Handle hands the users service's new events to HandleEvent, which
// records their mail; nothing is sent.
func (e *Env) Handle(t *testing.T) {
	t.Helper()
	all := e.Events.Events(t)
	for _, ev := range all[e.pumped:] {
		if err := e.Svc.HandleEvent(ctx(t), ev); err != nil {
			t.Fatalf("HandleEvent(%s): %v", ev.Type, err)
		}
	}
	e.pumped = len(all)
}

// Deliver runs the worker once.
func (e *Env) Deliver(t *testing.T) int {
	t.Helper()
	n, err := e.Svc.DeliverDue(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Last returns the last event of topic the users service published.
func (e *Env) Last(t *testing.T, topic string) iam.Event {
	t.Helper()
	all := e.Events.Events(t)
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Type == topic {
			return all[i]
		}
	}
	t.Fatalf("no %s event", topic)
	return iam.Event{}
}

// Mails returns what the SMTP server received, failing unless it is n
// messages.
func (e *Env) Mails(t *testing.T, n int) []Received {
	t.Helper()
	got := e.SMTP.Messages()
	if len(got) != n {
		subjects := make([]string, len(got))
		for i, m := range got {
			subjects[i] = m.Subject()
		}
		t.Fatalf("%d mails received %q, want %d", len(got), subjects, n)
	}
	return got
}

// Deliveries lists acme's deliveries, newest first.
func (e *Env) Deliveries(t *testing.T, f notify.Filter) []notify.Delivery {
	t.Helper()
	list, err := e.Svc.List(ctx(t), "acme", f)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// LoginFailure is an auth.login.failure event of user at the env's clock.
func (e *Env) LoginFailure(t *testing.T, userID, reason string) iam.Event {
	t.Helper()
	ev, err := iam.NewEvent(auth.EventSource, iam.TopicLoginFailure, "acme", userID, auth.LoginFailureEvent{
		UserID: userID, ClientID: "web", Reason: reason, GrantType: "password", IPAddress: "198.51.100.7"})
	if err != nil {
		t.Fatal(err)
	}
	ev.Time = e.Clock.Now().UTC()
	return ev
}

// LinkKey returns the key of the first link to path in a mail's text.
func LinkKey(t *testing.T, m Received, path string) string {
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
