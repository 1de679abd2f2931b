package auth_test

import (
	"context"
	"encoding/base32"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func asOAuth(err error, oe **auth.OAuthError) bool { return errors.As(err, oe) }

// mailbox keeps the email codes the MFA service sends.
type mailbox struct {
	mu   sync.Mutex
	sent []mfa.Message
}

func (m *mailbox) SendOTP(_ context.Context, msg mfa.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

// mfaEnv is an env whose password grant asks an in-memory MFA service on
// the env's clock.
type mfaEnv struct {
	*env
	mfa  *mfa.Service
	mail *mailbox
}

func newMFAEnv(t *testing.T) *mfaEnv {
	t.Helper()
	m := &mfaEnv{mail: &mailbox{}}
	var svc *mfa.Service
	m.env = newEnv(t, auth.WithSecondFactors(lazyFactors{&svc}))
	svc = mfa.New(mfamem.New(), mfamem.NewEphemeral(), m.dir.Realms(), mfa.WithClock(m.clock.Now), mfa.WithSender(m.mail))
	m.mfa = svc
	return m
}

// lazyFactors lets the env's Service be built before the MFA service that
// shares its Directory.
type lazyFactors struct{ svc **mfa.Service }

func (l lazyFactors) Factors(ctx context.Context, realm iam.Realm, userID string) ([]mfa.PublicFactor, error) {
	return (*l.svc).Factors(ctx, realm, userID)
}
func (l lazyFactors) Verify(ctx context.Context, realm iam.Realm, userID, code string) (string, error) {
	return (*l.svc).Verify(ctx, realm, userID, code)
}
func (l lazyFactors) SendEmailOTP(ctx context.Context, realm iam.Realm, userID, email string) error {
	return (*l.svc).SendEmailOTP(ctx, realm, userID, email)
}

// enrol confirms an authenticator for alice and returns what makes its
// codes; the clock then moves a minute on.
func (m *mfaEnv) enrol() func(time.Time) string {
	m.t.Helper()
	ctx := context.Background()
	e, err := m.mfa.StartTOTP(ctx, "acme", alice.ID, "alice", "")
	if err != nil {
		m.t.Fatal(err)
	}
	secret, _ := b32.DecodeString(e.Secret)
	code := func(at time.Time) string {
		c, err := mfa.GenerateTOTP(secret, e.Algorithm, e.Digits, e.Period, at)
		if err != nil {
			m.t.Fatal(err)
		}
		return c
	}
	if _, err := m.mfa.ConfirmTOTP(ctx, "acme", alice.ID, e.FactorID, code(m.clock.Now())); err != nil {
		m.t.Fatal(err)
	}
	m.clock.Advance(time.Minute)
	return code
}

// login runs alice's password grant with otp.
func (m *mfaEnv) login(otp string) (*auth.Tokens, error) {
	return m.token(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "alice-password", TOTP: otp})
}

// wantRefused fails unless err is invalid_grant whose description starts
// with prefix and whose failure event names reason.
func (m *mfaEnv) wantRefused(err error, prefix, reason string) {
	m.t.Helper()
	var oe *auth.OAuthError
	if !asOAuth(err, &oe) || oe.Code != auth.ErrorInvalidGrant || !strings.HasPrefix(iam.ErrorMessage(err), prefix) {
		m.t.Fatalf("err = %v, want invalid_grant %q…", err, prefix)
	}
	ev := m.events.ofType(iam.TopicLoginFailure)
	var data auth.LoginFailureEvent
	if len(ev) == 0 || ev[len(ev)-1].Decode(&data) != nil || data.Reason != reason || data.UserID != alice.ID {
		m.t.Fatalf("last failure event = %+v, want reason %s", data, reason)
	}
}

func (m *mfaEnv) setRealm(change func(*realms.Realm)) {
	r, err := m.dir.Realms().Get(context.Background(), "acme")
	if err != nil {
		m.t.Fatal(err)
	}
	change(&r)
	m.dir.PutRealm(r)
}

func TestPasswordGrantAsksForTheAuthenticatorsCode(t *testing.T) {
	m := newMFAEnv(t)
	m.passwordLogin("") // no factor, optional realm: the password is enough
	code := m.enrol()
	_, err := m.login("")
	m.wantRefused(err, "A second factor is required: send the code of your authenticator app", auth.ReasonSecondFactorRequired)
	_, err = m.login("000000")
	m.wantRefused(err, "Invalid one-time code", auth.ReasonInvalidSecondFactor)
	right := code(m.clock.Now())
	tok, err := m.login(right)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("with the right code: %v", err)
	}
	_, err = m.login(right)
	m.wantRefused(err, "Invalid one-time code", auth.ReasonInvalidSecondFactor) // a replay
	if len(m.events.ofType(iam.TopicLoginSuccess)) != 2 {
		t.Fatalf("%d logins succeeded, want 2", len(m.events.ofType(iam.TopicLoginSuccess)))
	}
	// A wrong password says nothing of the second factor.
	_, err = m.token(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "wrong", TOTP: code(m.clock.Now())})
	if iam.ErrorMessage(err) != "Invalid user credentials" {
		t.Fatalf("wrong password = %q", iam.ErrorMessage(err))
	}
}

func TestRequiredRealmSendsAnEmailCodeToUsersWithoutAnAuthenticator(t *testing.T) {
	m := newMFAEnv(t)
	m.setRealm(func(r *realms.Realm) { r.MFA = realms.MFARequired })
	_, err := m.login("")
	m.wantRefused(err, "A second factor is required: a one-time code was sent to a…@example.com", auth.ReasonSecondFactorRequired)
	if len(m.mail.sent) != 1 || m.mail.sent[0].To != alice.Email {
		t.Fatalf("sent %+v", m.mail.sent)
	}
	if strings.Contains(iam.ErrorMessage(err), m.mail.sent[0].Code) {
		t.Fatal("the answer shows the code")
	}
	if _, err := m.login(m.mail.sent[0].Code); err != nil {
		t.Fatalf("with the emailed code: %v", err)
	}
	// Without a verified address there is no way in: refused, never
	// ignored.
	u := alice
	u.EmailVerified = false
	m.dir.PutUser(u, "alice-password")
	_, err = m.login("")
	m.wantRefused(err, "A second factor is required, and the account has none", auth.ReasonSecondFactorRequired)
}

func TestRequiredRealmWithoutAnMFAServiceRefusesPasswords(t *testing.T) {
	e := newEnv(t)
	r, _ := e.dir.Realms().Get(context.Background(), "acme")
	r.MFA = realms.MFARequired
	e.dir.PutRealm(r)
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "alice-password", TOTP: "123456"})
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if !strings.HasPrefix(iam.ErrorMessage(err), "A second factor is required") {
		t.Fatalf("message = %q", iam.ErrorMessage(err))
	}
}

func TestSecondFactorsOffIssueTokensOnThePassword(t *testing.T) {
	m := newMFAEnv(t)
	m.enrol()
	m.setRealm(func(r *realms.Realm) { r.MFA = realms.MFAOff })
	if _, err := m.login(""); err != nil {
		t.Fatalf("mfaPolicy off: %v", err)
	}
}

func TestWrongCodesLockTheSecondFactor(t *testing.T) {
	m := newMFAEnv(t) // acme's failure factor is 3
	code := m.enrol()
	for range 3 {
		_, err := m.login("000000")
		m.wantRefused(err, "Invalid one-time code", auth.ReasonInvalidSecondFactor)
	}
	_, err := m.login(code(m.clock.Now()))
	m.wantRefused(err, "Invalid one-time code", auth.ReasonSecondFactorLocked)
	m.clock.Advance(time.Minute + time.Second)
	if _, err := m.login(code(m.clock.Now())); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestConfigureTOTPIsDoneOnceAnAuthenticatorIsConfirmed(t *testing.T) {
	m := newMFAEnv(t)
	u := alice
	u.RequiredActions = []string{users.ActionConfigureTOTP}
	m.dir.PutUser(u, "alice-password")
	_, err := m.login("")
	m.wantRefused(err, "Account is not fully set up", auth.ReasonRequiredActions)
	if len(m.mail.sent) != 0 {
		t.Fatal("a user who cannot sign in was sent a code")
	}
	// The authenticator enrolled (through the account API, or confirmed
	// while the users service was unreachable): the action no longer
	// blocks, the code is asked for.
	code := m.enrol()
	_, err = m.login("")
	m.wantRefused(err, "A second factor is required", auth.ReasonSecondFactorRequired)
	if _, err := m.login(code(m.clock.Now())); err != nil {
		t.Fatalf("with the code: %v", err)
	}
}

// failingFactors is a SecondFactors whose every call fails with err.
type failingFactors struct{ err error }

func (f failingFactors) Factors(context.Context, iam.Realm, string) ([]mfa.PublicFactor, error) {
	return nil, f.err
}
func (f failingFactors) Verify(context.Context, iam.Realm, string, string) (string, error) {
	return "", f.err
}
func (f failingFactors) SendEmailOTP(context.Context, iam.Realm, string, string) error { return f.err }

func TestAnUnreachableMFAServiceFailsClosed(t *testing.T) {
	e := newEnv(t, auth.WithSecondFactors(failingFactors{iam.Errorf(iam.CodeUnavailable, "mfa service unavailable")}))
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "alice-password"})
	if auth.OAuthCode(err) != auth.ErrorTemporarilyUnavailable {
		t.Fatalf("err = %v (oauth %s), want temporarily_unavailable and no token", err, auth.OAuthCode(err))
	}
}
