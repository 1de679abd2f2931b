package mfatest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

// ServiceHarness is a fresh, empty pair of stores for the Service suite.
type ServiceHarness struct {
	Store mfa.Store
	State mfa.EphemeralStore
}

// RunService runs the Service's rules over the harness's stores, on a fixed
// clock: TOTP enrolment, the window's edges, replays (also between two
// Services sharing the stores, as replicas do), lockout, recovery codes,
// email codes (expiry, attempts, send limit, nothing secret in events), the
// Keycloak credential view and the consumer.
func RunService(t *testing.T, newHarness func(t *testing.T) ServiceHarness) {
	t.Helper()
	run(t, newHarness, []namedCase[ServiceHarness]{
		{"EnrolmentReturnsSecretURIAndQRCode", testEnrolment},
		{"EnrolmentCountsOnlyOnceConfirmed", testConfirm},
		{"EnrolmentExpires", testEnrolmentExpires},
		{"ANewEnrolmentReplacesAPendingOne", testEnrolmentReplaced},
		{"AuthenticatorsPerUserAreLimited", testMaxAuthenticators},
		{"WindowEdges", testWindowEdges},
		{"WindowOfZeroAcceptsOnlyTheCurrentStep", testWindowZero},
		{"ReplayIsRefused", testReplay},
		{"ReplayIsRefusedAcrossReplicas", testReplayAcrossReplicas},
		{"AuthenticatorsKeepTheirParameters", testParametersKept},
		{"FailuresLockVerificationOut", testLockout},
		{"SecondFactorsOffRefusesEnrolment", testMFAOff},
		{"RecoveryCodesAreSingleUse", testRecoveryCodes},
		{"RegeneratingVoidsTheOldSet", testRegenerate},
		{"RecoveryCodesNeedAnAuthenticator", testRecoveryNeedsTOTP},
		{"RemovingTheLastAuthenticatorVoidsRecoveryCodes", testDeleteLastTOTP},
		{"EmailCodeIsAcceptedOnce", testEmailOTP},
		{"EmailCodeExpires", testEmailExpiry},
		{"EmailCodeAllowsFiveAttempts", testEmailAttempts},
		{"EmailSendsAreRateLimited", testEmailRateLimit},
		{"ANewEmailCodeReplacesTheOldOne", testEmailReplaced},
		{"AFailedSendVoidsTheCode", testEmailSendFails},
		{"CredentialsShowAuthenticatorsAsOTP", testCredentials},
		{"UserAndRealmDeletionRemoveFactors", testConsumer},
	})
}

// t0 is the suite's clock at start: a TOTP step boundary for 30-second
// periods.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// mailbox is a Sender that keeps what it is given, or fails with err.
type mailbox struct {
	mu   sync.Mutex
	sent []mfa.Message
	err  error
}

func (m *mailbox) SendOTP(_ context.Context, msg mfa.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.sent = append(m.sent, msg)
	return nil
}

func (m *mailbox) last(t *testing.T) mfa.Message {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sent) == 0 {
		t.Fatal("no code was sent")
	}
	return m.sent[len(m.sent)-1]
}

// fixture is a Service over the harness's stores, with realm acme.
type fixture struct {
	t      *testing.T
	h      ServiceHarness
	svc    *mfa.Service
	realms *realms.Service
	clock  *clock
	mail   *mailbox
	events *iamtest.Recorder
}

func newFixture(t *testing.T, h ServiceHarness) *fixture {
	t.Helper()
	f := &fixture{t: t, h: h, realms: realms.New(realmsmem.New(nil)), clock: &clock{now: t0}, mail: &mailbox{},
		events: iamtest.NewRecorder()}
	if _, err := f.realms.Create(ctx(t), realms.Realm{Name: "acme", DisplayName: "Acme", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	f.svc = f.service()
	return f
}

// service returns another Service over the same stores (a replica).
func (f *fixture) service() *mfa.Service {
	return mfa.New(f.h.Store, f.h.State, f.realms, mfa.WithClock(f.clock.Now), mfa.WithSender(f.mail),
		mfa.WithPublisher(f.events))
}

// updateRealm changes acme.
func (f *fixture) updateRealm(u realms.Update) {
	f.t.Helper()
	if _, err := f.realms.Update(ctx(f.t), "acme", u); err != nil {
		f.t.Fatal(err)
	}
}

// authenticator is an enrolled authenticator app.
type authenticator struct {
	mfa.Enrolment
	secret []byte
}

// code is what the app shows at t.
func (f *fixture) code(a authenticator, at time.Time) string {
	f.t.Helper()
	c, err := mfa.GenerateTOTP(a.secret, a.Algorithm, a.Digits, a.Period, at)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// start starts an enrolment for user.
func (f *fixture) start(user string) authenticator {
	f.t.Helper()
	e, err := f.svc.StartTOTP(ctx(f.t), "acme", user, user+"@acme.test", "Phone")
	if err != nil {
		f.t.Fatal(err)
	}
	secret, err := b32Decode(e.Secret)
	if err != nil {
		f.t.Fatalf("secret %q is not base32: %v", e.Secret, err)
	}
	return authenticator{Enrolment: e, secret: secret}
}

// enrol enrols and confirms an authenticator for user, then moves the
// clock an hour on (so the confirming code's step is long past).
func (f *fixture) enrol(user string) authenticator {
	f.t.Helper()
	a := f.start(user)
	if _, err := f.svc.ConfirmTOTP(ctx(f.t), "acme", user, a.FactorID, f.code(a, f.clock.Now())); err != nil {
		f.t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	return a
}

// verify calls Verify and returns the method, or the failure's reason.
func (f *fixture) verify(user, code string) string {
	f.t.Helper()
	method, err := f.svc.Verify(ctx(f.t), "acme", user, code)
	if err == nil {
		return method
	}
	reason := mfa.FailureReason(err)
	if reason == "" || iam.ErrorCode(err) != iam.CodeUnauthenticated || iam.ErrorMessage(err) != mfa.FailedMessage {
		f.t.Fatalf("Verify(%s) = %v; want a method or an unauthenticated failure with a reason", user, err)
	}
	return reason
}

func (f *fixture) wantVerify(user, code, want string) {
	f.t.Helper()
	if got := f.verify(user, code); got != want {
		f.t.Fatalf("Verify(%s, %s) = %s, want %s", user, code, got, want)
	}
}

func (f *fixture) factors(user string) []mfa.PublicFactor {
	f.t.Helper()
	list, err := f.svc.Factors(ctx(f.t), "acme", user)
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

var errSend = errors.New("smtp down")
