package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
)

// passwordGrant sends a password grant to realm's admin-cli as if from
// forwardedFor (the X-Forwarded-For a reverse proxy adds) and returns the
// status.
func (s started) passwordGrant(t *testing.T, realm, username, password, forwardedFor string) int {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {username}, "password": {password}}
	req, err := http.NewRequest("POST", s.URL+"/realms/"+realm+"/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Behind a reverse proxy listed in OPENGATE_TRUSTED_PROXIES, per-IP lockout
// counts the client X-Forwarded-For names, so an attacker's failures lock
// out the attacker's address and not everyone behind the proxy. Without the
// setting X-Forwarded-For is ignored (a caller could forge it): every client
// of the proxy is one address.
func TestRunTrustedProxiesDecideTheLockedOutAddress(t *testing.T) {
	const attacker, neighbour = "203.0.113.7", "198.51.100.9"
	tests := []struct {
		name          string
		env           map[string]string
		neighbourGets int
	}{
		{"TrustedProxyLocksOutOnlyTheAttacker", map[string]string{"OPENGATE_TRUSTED_PROXIES": "127.0.0.0/8, ::1/128"}, 200},
		{"UntrustedForwardedForIsIgnored", map[string]string{}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["OPENGATE_ADMIN_PASSWORD"] = "bootstrap-Passw0rd"
			s := start(t, tt.env)
			admin := s.token(t, "master", "admin-cli", "admin", "bootstrap-Passw0rd")
			// One failure locks a user; five (the IP failure factor) an address.
			if resp, body := s.Call(t, "POST", "/admin/realms", admin,
				`{"realm":"proxied","enabled":true,"bruteForceProtected":true,"failureFactor":1}`); resp.StatusCode != 201 {
				t.Fatalf("create realm: %d %s", resp.StatusCode, body)
			}
			for _, u := range []string{"alice", "mallory"} {
				resp, body := s.Call(t, "POST", "/admin/realms/proxied/users", admin,
					`{"username":"`+u+`","enabled":true,"credentials":[{"type":"password","value":"correct-horse-9"}]}`)
				if resp.StatusCode != 201 {
					t.Fatalf("create %s: %d %s", u, resp.StatusCode, body)
				}
			}
			boottest.Eventually(t, 10*time.Second, "admin-cli never reached the new realm", func() bool {
				return s.passwordGrant(t, "proxied", "alice", "correct-horse-9", neighbour) == 200
			})

			for range 5 {
				if got := s.passwordGrant(t, "proxied", "mallory", "wrong-password", attacker); got != 400 {
					t.Fatalf("wrong password: %d, want 400 (invalid_grant)", got)
				}
			}
			if got := s.passwordGrant(t, "proxied", "alice", "correct-horse-9", attacker); got != 400 {
				t.Fatalf("alice from the locked-out address: %d, want 400 (invalid_grant)", got)
			}
			if got := s.passwordGrant(t, "proxied", "alice", "correct-horse-9", neighbour); got != tt.neighbourGets {
				t.Fatalf("alice from another address behind the proxy: %d, want %d", got, tt.neighbourGets)
			}
		})
	}
}

func TestRunRefusesMalformedTrustedProxies(t *testing.T) {
	err := run(context.Background(), nil, boottest.Env(map[string]string{"OPENGATE_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example.com"}), io.Discard, io.Discard)
	if err == nil || err.Error() != `OPENGATE_TRUSTED_PROXIES: "proxy.example.com" is not a CIDR` {
		t.Fatalf("err = %v", err)
	}
}
