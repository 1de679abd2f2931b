package users_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestAuthenticateFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	e.alice(t, "right-pw")
	if _, err := e.svc.Create(bg(), "acme", users.User{Username: "dora", Enabled: false}, users.NewCredential{Value: "dora-pw"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Create(bg(), "acme", users.User{Username: "nopass", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, login, pw string
		reason          error
	}{
		{"UnknownUser", "mallory", "right-pw", users.ErrUnknownUser},
		{"WrongPassword", "alice", "wrong-pw", users.ErrBadCredentials},
		{"EmptyPassword", "alice", "", users.ErrBadCredentials},
		{"NoPassword", "nopass", "anything", users.ErrBadCredentials},
		{"DisabledUser", "dora", "dora-pw", users.ErrDisabled},
		{"DisabledUserWrongPassword", "dora", "wrong", users.ErrBadCredentials},
		{"EmptyLogin", "", "x", users.ErrUnknownUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := e.svc.Authenticate(bg(), "acme", tt.login, tt.pw)
			if u.ID != "" {
				t.Fatalf("failed login returned a user: %+v", u)
			}
			wantCode(t, err, iam.CodeUnauthenticated)
			if iam.ErrorMessage(err) != users.AuthFailedMessage || iam.ErrorField(err) != "" {
				t.Fatalf("message = %q, field = %q", iam.ErrorMessage(err), iam.ErrorField(err))
			}
			for _, reason := range []error{users.ErrUnknownUser, users.ErrBadCredentials, users.ErrDisabled} {
				if errors.Is(err, reason) != (reason == tt.reason) {
					t.Fatalf("errors.Is(err, %v) = %v; err = %v", reason, !(reason == tt.reason), err)
				}
			}
		})
	}
}

// countingHasher records the hashes Verify is asked about.
type countingHasher struct {
	users.DefaultHasher
	mu       sync.Mutex
	verified []string
}

func (h *countingHasher) Verify(encoded, pw string) (bool, error) {
	h.mu.Lock()
	h.verified = append(h.verified, encoded)
	h.mu.Unlock()
	return h.DefaultHasher.Verify(encoded, pw)
}

func (h *countingHasher) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.verified
	h.verified = nil
	return v
}

// TestUnknownUserCostsOneVerificationAtRealmParameters is the structural
// half of the timing guarantee (the measured half is
// BenchmarkAuthenticateTiming): every failed login runs exactly one
// verification, and for an unknown user (or one without a password) it is
// an argon2id hash with exactly the parameters of a known user's hash in the
// realm.
func TestUnknownUserCostsOneVerificationAtRealmParameters(t *testing.T) {
	h := &countingHasher{}
	rs := userstest.NewRealms(realms.Realm{Name: "acme",
		PasswordPolicy: realms.PasswordPolicy{HashIterations: 2, HashMemoryKiB: 256}})
	svc := users.New(usersmem.New(nil), rs, users.WithHasher(h))
	if _, err := svc.Create(bg(), "acme", users.User{Username: "alice", Enabled: true}, users.NewCredential{Value: "pw"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(bg(), "acme", users.User{Username: "nopass", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	params := func(encoded string) password.Params {
		t.Helper()
		d, err := password.Decode(encoded)
		if err != nil || d.Algorithm != password.Argon2id {
			t.Fatalf("verified %q: %v", encoded, err)
		}
		return d.Argon2
	}
	_, _ = svc.Authenticate(bg(), "acme", "alice", "wrong")
	known := h.take()
	if len(known) != 1 {
		t.Fatalf("wrong password ran %d verifications", len(known))
	}
	want := params(known[0])
	if want.Iterations != 2 || want.Memory != 256 {
		t.Fatalf("known hash params = %+v, want the realm's t=2 m=256", want)
	}
	for _, login := range []string{"mallory", "nopass", "someone@example.com"} {
		for range 3 {
			_, _ = svc.Authenticate(bg(), "acme", login, "wrong")
			got := h.take()
			if len(got) != 1 {
				t.Fatalf("%s ran %d verifications, want 1", login, len(got))
			}
			if p := params(got[0]); p != want {
				t.Fatalf("%s verified against %+v, want %+v", login, p, want)
			}
		}
	}
}

func TestAuthenticateRehashesOnlyOnSuccess(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	before, _ := e.store.GetPassword(bg(), "acme", u.ID)
	r := userstest.Realm("acme")
	r.PasswordPolicy.HashMemoryKiB = 128
	e.realms.Put(r)
	if _, err := e.svc.Authenticate(bg(), "acme", "alice", "bad"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if c, _ := e.store.GetPassword(bg(), "acme", u.ID); c.Hash != before.Hash {
		t.Fatal("failed login rehashed")
	}
	if _, err := e.svc.Authenticate(bg(), "acme", "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	after, _ := e.store.GetPassword(bg(), "acme", u.ID)
	d, _ := password.Decode(after.Hash)
	if after.Hash == before.Hash || d.Argon2.Memory != 128 || after.ID != before.ID {
		t.Fatalf("after login: %+v (%+v)", after, d.Argon2)
	}
	// Already at current parameters: no further rehash.
	if _, err := e.svc.Authenticate(bg(), "acme", "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	if again, _ := e.store.GetPassword(bg(), "acme", u.ID); again.Hash != after.Hash {
		t.Fatal("rehashed a current hash")
	}
}

func TestAuthenticateByEmailOnlyWithUniqueEmails(t *testing.T) {
	e := newEnv(t)
	e.alice(t, "pw")
	if _, err := e.svc.Authenticate(bg(), "acme", "Alice@Example.com", "pw"); err != nil {
		t.Fatal(err)
	}
	r := userstest.Realm("acme")
	r.DuplicateEmailsAllowed = true
	e.realms.Put(r)
	_, err := e.svc.Authenticate(bg(), "acme", "alice@example.com", "pw")
	if !errors.Is(err, users.ErrUnknownUser) {
		t.Fatalf("email login with duplicate emails allowed: %v", err)
	}
}

// BenchmarkAuthenticate measures a successful login at OWASP's default
// argon2id parameters (m=19456 KiB, t=2, p=1).
func BenchmarkAuthenticate(b *testing.B) {
	svc := users.New(usersmem.New(nil), userstest.NewRealms(realms.Realm{Name: "acme"}))
	if _, err := svc.Create(bg(), "acme", users.User{Username: "alice", Enabled: true}, users.NewCredential{Value: "pw-123456"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.Authenticate(bg(), "acme", "alice", "pw-123456"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateTiming compares unknown-user and wrong-password
// logins at the default parameters, interleaved so that machine load hits
// both alike, and reports the median of each and their ratio.
func BenchmarkAuthenticateTiming(b *testing.B) {
	svc := users.New(usersmem.New(nil), userstest.NewRealms(realms.Realm{Name: "acme"}))
	if _, err := svc.Create(bg(), "acme", users.User{Username: "alice", Enabled: true}, users.NewCredential{Value: "pw-123456"}); err != nil {
		b.Fatal(err)
	}
	_, _ = svc.Authenticate(bg(), "acme", "nobody", "x") // make the dummy hash
	var unknown, wrong []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		login := "alice"
		if i%2 == 0 {
			login = fmt.Sprintf("nobody%d", i)
		}
		start := time.Now()
		_, err := svc.Authenticate(bg(), "acme", login, "wrong")
		d := time.Since(start)
		if err == nil {
			b.Fatal("login succeeded")
		}
		if i%2 == 0 {
			unknown = append(unknown, d)
		} else {
			wrong = append(wrong, d)
		}
	}
	mu, mw := median(unknown), median(wrong)
	if mu > 0 && mw > 0 {
		b.ReportMetric(float64(mu.Microseconds())/1000, "unknown-median-ms")
		b.ReportMetric(float64(mw.Microseconds())/1000, "wrong-median-ms")
		b.ReportMetric(float64(mu)/float64(mw), "unknown/wrong")
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func TestLoginFailureReasonIsDataOfTheError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want users.FailureReason
	}{
		{"unknown user", &iam.Error{Code: iam.CodeUnauthenticated, Err: users.ErrUnknownUser}, users.FailureUnknownUser},
		{"disabled, wrapped twice", iam.Wrap("op", &iam.Error{Code: iam.CodeUnauthenticated, Err: users.ErrDisabled}), users.FailureDisabled},
		{"a LoginFailure built from the wire", &users.LoginFailure{Reason: users.FailureBadCredentials}, users.FailureBadCredentials},
		{"another error", iam.ErrUnavailable, ""},
		{"nil", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := users.LoginFailureReason(tc.err); got != tc.want {
				t.Fatalf("reason = %q, want %q", got, tc.want)
			}
			if tc.want != "" && !errors.Is(tc.err, &users.LoginFailure{Reason: tc.want}) {
				t.Fatal("errors.Is does not match a LoginFailure of the same reason")
			}
		})
	}
}
