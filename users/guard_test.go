package users_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// guardLog is a fake users.PasswordGuard: it locks out when locked is set
// and records what it is told.
type guardLog struct {
	mu     sync.Mutex
	locked bool
	err    error
	calls  []string // "failed <user> <ip>", "succeeded <user>"
}

func (g *guardLog) Locked(_ context.Context, _ iam.Realm, _, _ string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.locked, g.err
}

func (g *guardLog) Failed(_ context.Context, _ iam.Realm, userID, ip string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, "failed "+userID+" "+ip)
	return nil
}

func (g *guardLog) Succeeded(_ context.Context, _ iam.Realm, userID string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, "succeeded "+userID)
	return nil
}

func TestCurrentPasswordChecksCountAgainstBruteForceProtection(t *testing.T) {
	from := iam.WithClientIP(bg(), "192.0.2.1")
	tests := []struct {
		name      string
		locked    bool
		guardErr  error
		current   string
		wantCode  iam.Code
		wantCalls func(id string) []string
	}{
		{"AWrongPasswordIsCounted", false, nil, "wrong", iam.CodeInvalid,
			func(id string) []string { return []string{"failed " + id + " 192.0.2.1"} }},
		{"TheRightPasswordClearsTheCount", false, nil, "old-password", "",
			func(id string) []string { return []string{"succeeded " + id} }},
		{"LockedOutTheRightPasswordFailsAsAWrongOneAndIsNotCounted", true, nil, "old-password", iam.CodeInvalid,
			func(string) []string { return nil }},
		{"AGuardThatCannotTellRefuses", false, iam.Errorf(iam.CodeUnavailable, "redis is down"), "old-password", iam.CodeUnavailable,
			func(string) []string { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &guardLog{locked: tt.locked, err: tt.guardErr}
			e := newEnv(t, users.WithPasswordGuard(g))
			u := e.alice(t, "old-password")
			err := e.svc.ChangePassword(from, "acme", u.ID, tt.current, "brand-new-password")
			wantCode(t, err, tt.wantCode)
			if tt.wantCode == iam.CodeInvalid {
				wantField(t, err, "currentPassword")
				if iam.ErrorMessage(err) != "current password is incorrect" {
					t.Fatalf("message %q: a lockout must look like a wrong password", iam.ErrorMessage(err))
				}
			}
			if want := tt.wantCalls(u.ID); !slices.Equal(g.calls, want) {
				t.Fatalf("guard calls = %v, want %v", g.calls, want)
			}
		})
	}
}
