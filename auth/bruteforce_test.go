package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

func (e *env) login(user, password, ip string) error {
	e.t.Helper()
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantPassword,
		Client:   auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: user, Password: password, IP: ip})
	return err
}

func (e *env) failureReasons() []string {
	var out []string
	for _, ev := range e.events.ofType(iam.TopicLoginFailure) {
		var d auth.LoginFailureEvent
		_ = ev.Decode(&d)
		out = append(out, d.Reason)
	}
	return out
}

func TestBruteForceLocksTheUserWithTheSameError(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		wrong := e.login("alice", "wrong", "192.0.2."+string(rune('1'+i)))
		wantOAuth(t, wrong, auth.ErrorInvalidGrant)
	}
	// Locked: the right password fails exactly like a wrong one.
	locked := e.login("alice", "alice-password", "192.0.2.50")
	wantOAuth(t, locked, auth.ErrorInvalidGrant)
	wrong := e.login("alice", "wrong", "192.0.2.51")
	if iam.ErrorMessage(locked) != iam.ErrorMessage(wrong) || iam.ErrorMessage(locked) != "Invalid user credentials" {
		t.Fatalf("locked %q vs wrong %q", iam.ErrorMessage(locked), iam.ErrorMessage(wrong))
	}
	reasons := e.failureReasons()
	if reasons[3] != auth.ReasonUserTemporarilyDisabled || reasons[4] != auth.ReasonUserTemporarilyDisabled {
		t.Fatalf("reasons = %v", reasons)
	}

	st, err := e.svc.BruteForceStatus(context.Background(), "acme", alice.ID)
	// Attempts while locked are not counted: the record is the third failure's.
	if err != nil || !st.Disabled || st.NumFailures != 3 || st.LastIPFailure != "192.0.2.3" ||
		!st.LastFailure.Equal(e.clock.Now()) {
		t.Fatalf("status = %+v, %v", st, err)
	}
	// 3 failures wait 1 minute (3/3 = 1 increment) from the last failure.
	e.clock.Advance(61 * time.Second)
	if err := e.login("alice", "alice-password", "192.0.2.52"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// A successful login clears the user's failures.
	if st, _ := e.svc.BruteForceStatus(context.Background(), "acme", alice.ID); st.NumFailures != 0 || st.Disabled {
		t.Fatalf("status after success = %+v", st)
	}
}

func TestAdminCanClearALockout(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 3; i++ {
		_ = e.login("alice", "wrong", "")
	}
	wantOAuth(t, e.login("alice", "alice-password", ""), auth.ErrorInvalidGrant)
	if err := e.svc.ClearBruteForce(context.Background(), "acme", alice.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.login("alice", "alice-password", ""); err != nil {
		t.Fatalf("after clear: %v", err)
	}
}

func TestWaitGrowsWithFailuresUpToMaxWait(t *testing.T) {
	e := newEnv(t)
	r, _ := e.dir.Realms().Get(context.Background(), "acme")
	r.BruteForce = realms.BruteForce{Enabled: true, FailureFactor: 1, WaitIncrement: time.Minute, MaxWait: 2 * time.Minute, ResetAfter: time.Hour}
	e.dir.PutRealm(r)
	_ = e.login("alice", "wrong", "")
	_ = e.login("alice", "wrong", "") // attempts while locked are not counted
	e.clock.Advance(61 * time.Second)
	_ = e.login("alice", "wrong", "") // 2 failures: 2 minutes
	e.clock.Advance(61 * time.Second)
	wantOAuth(t, e.login("alice", "alice-password", ""), auth.ErrorInvalidGrant)
	e.clock.Advance(60 * time.Second)
	_ = e.login("alice", "wrong", "") // 3 failures: capped at 2 minutes
	st, _ := e.svc.BruteForceStatus(context.Background(), "acme", alice.ID)
	if st.NumFailures != 3 {
		t.Fatalf("failures = %d (locked attempts must not count)", st.NumFailures)
	}
	e.clock.Advance(2*time.Minute + time.Second)
	if err := e.login("alice", "alice-password", ""); err != nil {
		t.Fatalf("wait not capped: %v", err)
	}
}

func TestFailuresAreForgottenAfterResetAfter(t *testing.T) {
	e := newEnv(t)
	_ = e.login("alice", "wrong", "")
	_ = e.login("alice", "wrong", "")
	e.clock.Advance(13 * time.Hour)
	_ = e.login("alice", "wrong", "")
	if err := e.login("alice", "alice-password", ""); err != nil {
		t.Fatalf("old failures still counted: %v", err)
	}
}

func TestBruteForceDisabledRealmNeverLocks(t *testing.T) {
	e := newEnv(t)
	r, _ := e.dir.Realms().Get(context.Background(), "acme")
	r.BruteForce.Enabled = false
	e.dir.PutRealm(r)
	for i := 0; i < 10; i++ {
		_ = e.login("alice", "wrong", "192.0.2.1")
	}
	if err := e.login("alice", "alice-password", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
}

func TestBruteForceLocksAnAddressAcrossUsers(t *testing.T) {
	e := newEnv(t, auth.WithIPFailureFactor(2)) // 3 × 2 = 6 failures per address
	for i := 0; i < 6; i++ {
		_ = e.login("nobody-"+string(rune('a'+i)), "wrong", "198.51.100.7")
	}
	wantOAuth(t, e.login("alice", "alice-password", "198.51.100.7"), auth.ErrorInvalidGrant)
	reasons := e.failureReasons()
	if reasons[len(reasons)-1] != auth.ReasonIPTemporarilyBlocked {
		t.Fatalf("reasons = %v", reasons)
	}
	if err := e.login("alice", "alice-password", "198.51.100.8"); err != nil {
		t.Fatalf("another address is locked too: %v", err)
	}
}

func TestFailuresAreCountedPerUserOnlyWithAUserFinder(t *testing.T) {
	e := newEnv(t)
	svc, err := auth.New(issuerBase, e.dir.Realms(), e.dir.Clients(), e.dir.Users(), e.dir.Roles(),
		e.keys, e.tokens, auth.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		_, _ = svc.Token(context.Background(), auth.TokenRequest{Realm: "acme", GrantType: auth.GrantPassword,
			Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Username: "alice", Password: "wrong"})
	}
	st, _ := svc.BruteForceStatus(context.Background(), "acme", alice.ID)
	if st.NumFailures != 0 {
		t.Fatalf("failures = %d", st.NumFailures)
	}
}

func TestBruteForceStatusErrors(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.BruteForceStatus(context.Background(), "ghost", "u"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("unknown realm: %v", err)
	}
	if err := e.svc.ClearBruteForce(context.Background(), "ghost", "u"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("unknown realm: %v", err)
	}
	st, err := e.svc.BruteForceStatus(context.Background(), "acme", "never-failed")
	if err != nil || st != (auth.BruteForceStatus{}) {
		t.Fatalf("status = %+v, %v", st, err)
	}
}

func TestFailureReasonsComeFromTheUserService(t *testing.T) {
	for cause, want := range map[error]string{
		users.ErrDisabled:       auth.ReasonUserDisabled,
		users.ErrUnknownUser:    auth.ReasonUserNotFound,
		users.ErrBadCredentials: auth.ReasonInvalidCredentials,
	} {
		e := newEnv(t)
		e.dir.Fail = func(m string) error {
			if m == "users.Authenticate" {
				return iam.Wrap("users.Authenticate", &iam.Error{Code: iam.CodeUnauthenticated, Message: "invalid username or password", Err: cause})
			}
			return nil
		}
		_ = e.login("alice", "alice-password", "")
		if r := e.failureReasons(); len(r) != 1 || r[0] != want {
			t.Fatalf("%v: reasons = %v, want %s", cause, r, want)
		}
	}
}
