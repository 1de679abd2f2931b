package auth_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/users"
)

// recordedMetrics is an auth.Metrics that records what it is told.
type recordedMetrics struct {
	mu       sync.Mutex
	tokens   []string // grant/result
	failures []string // reasons
}

func (m *recordedMetrics) TokenRequest(grant, result string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = append(m.tokens, grant+"/"+result)
}

func (m *recordedMetrics) LoginFailure(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures = append(m.failures, reason)
}

// Every failed login is logged at INFO with its realm, client, user id
// (when the user exists), address and reason, and counted by reason;
// the password never appears in the log.
func TestFailedLoginsAreLoggedAndCounted(t *testing.T) {
	tests := []struct {
		name, username, password string
		setup                    func(e *env)
		wantReason, wantUserID   string
	}{
		{"WrongPassword", "alice", "hunter2-secret", nil, auth.ReasonInvalidCredentials, "u-alice"},
		{"UnknownUser", "nobody", "hunter2-secret", nil, auth.ReasonUserNotFound, ""},
		{"DisabledUser", "bob", "bob-password", func(e *env) {
			e.dir.PutUser(users.User{ID: "u-bob", Realm: "acme", Username: "bob", Enabled: false}, "bob-password")
		}, auth.ReasonUserDisabled, "u-bob"},
		{"LockedUser", "alice", "alice-password", func(e *env) {
			for range 3 { // the realm's failure factor
				_, _ = e.token(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
					Username: "alice", Password: "wrong", IP: "192.0.2.7"})
			}
		}, auth.ReasonUserTemporarilyDisabled, "u-alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			metrics := &recordedMetrics{}
			e := newEnv(t, auth.WithLogger(slog.New(slog.NewJSONHandler(&log, nil))), auth.WithMetrics(metrics))
			if tt.setup != nil {
				tt.setup(e)
			}
			log.Reset()
			metrics.failures = nil
			_, err := e.token(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
				Username: tt.username, Password: tt.password, IP: "192.0.2.9"})
			wantOAuth(t, err, auth.ErrorInvalidGrant)
			var rec map[string]any
			if err := json.Unmarshal([]byte(log.String()), &rec); err != nil {
				t.Fatalf("log %q: %v", log.String(), err)
			}
			want := map[string]any{"level": "INFO", "msg": "login failed", "realm": "acme", "client": "app",
				"ip": "192.0.2.9", "grant": "password", "reason": tt.wantReason}
			if tt.wantUserID != "" {
				want["userId"] = tt.wantUserID
			}
			delete(rec, "time")
			if len(rec) != len(want) {
				t.Fatalf("log = %v, want %v", rec, want)
			}
			for k, v := range want {
				if rec[k] != v {
					t.Fatalf("log %s = %v, want %v (%v)", k, rec[k], v, rec)
				}
			}
			if strings.Contains(log.String(), tt.password) {
				t.Fatalf("the log has the password: %s", log.String())
			}
			if len(metrics.failures) != 1 || metrics.failures[0] != tt.wantReason {
				t.Fatalf("failures counted = %v", metrics.failures)
			}
		})
	}
}

func TestTokenRequestsAreCountedByGrantAndResult(t *testing.T) {
	metrics := &recordedMetrics{}
	e := newEnv(t, auth.WithMetrics(metrics))
	e.passwordLogin("openid")
	_, _ = e.token(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: auth.ClientCredentials{ClientID: "svc", Secret: "wrong"}})
	_, _ = e.token(auth.TokenRequest{GrantType: "urn:made-up", Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}})
	_, _ = e.token(auth.TokenRequest{GrantType: auth.GrantPassword, Realm: "missing", Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "alice-password"})
	want := []string{"password/issued", "client_credentials/invalid_client", "unsupported/unsupported_grant_type", "password/invalid_request"}
	if strings.Join(metrics.tokens, " ") != strings.Join(want, " ") {
		t.Fatalf("counted %v, want %v", metrics.tokens, want)
	}
}
