package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the binary's logger and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startLogged runs the binary with env like start, and returns its URL and
// its log (stderr).
func startLogged(t *testing.T, env map[string]string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := &lockedBuffer{}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, pw, log)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run = %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if _, rest, ok := strings.Cut(lines.Text(), "listening on "); ok {
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			return strings.Fields(rest)[0], log
		}
	}
	t.Fatalf("run ended early: %v", <-done)
	return "", nil
}

// The all-in-one's email one-time codes are mailed by the notify service;
// without OPENGATE_SMTP_HOST its log transport writes the mail with the
// code masked. With OPENGATE_MFA_LOG_CODES the MFA service's log sender
// writes "code sent to a…@example.com" with the code itself instead — and
// that code works as the password grant's second factor.
func TestEmailCodesGoToTheLog(t *testing.T) {
	for _, reveal := range []bool{false, true} {
		t.Run(map[bool]string{false: "Default", true: "WithMFALogCodes"}[reveal], func(t *testing.T) {
			env := map[string]string{"OPENGATE_ADMIN_PASSWORD": "Admin-passw0rd-mfa"}
			if reveal {
				env["OPENGATE_MFA_LOG_CODES"] = "true"
			}
			base, log := startLogged(t, env)
			call := func(method, path, token, body string) int {
				req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			grant := func(realm, username, password, otp string) (int, map[string]any) {
				form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {username}, "password": {password}}
				if otp != "" {
					form.Set("otp", otp)
				}
				resp, err := http.PostForm(base+"/realms/"+realm+"/protocol/openid-connect/token", form)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&body)
				return resp.StatusCode, body
			}
			_, body := grant("master", "admin", "Admin-passw0rd-mfa", "")
			admin, _ := body["access_token"].(string)
			if call("POST", "/admin/realms", admin, `{"realm":"acme","enabled":true,"mfaPolicy":"required"}`) != 201 ||
				call("POST", "/admin/realms/acme/users", admin, `{"username":"alice","email":"alice@example.com","emailVerified":true,"enabled":true,`+
					`"credentials":[{"type":"password","value":"Alice-passw0rd"}]}`) != 201 {
				t.Fatal("could not set up acme and alice")
			}
			var status int
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) { // acme's admin-cli comes from realm.created
				if status, body = grant("acme", "alice", "Alice-passw0rd", ""); status != 401 || time.Now().After(deadline) {
					break
				}
			}
			if desc, _ := body["error_description"].(string); status != 400 || !strings.Contains(desc, "a one-time code was sent to a…@example.com") {
				t.Fatalf("password grant = %d %v", status, body)
			}
			logged := log.String()
			_, code, found := strings.Cut(logged, "code=")
			if found != reveal {
				t.Fatalf("OPENGATE_MFA_LOG_CODES=%v, code in the log: %v\n%s", reveal, found, logged)
			}
			if !reveal {
				if !strings.Contains(logged, "kind=email-otp") || !strings.Contains(logged, "sign in to acme:\\n\\n    [redacted]") {
					t.Fatalf("the code mail is not in the log, masked:\n%s", logged)
				}
				return
			}
			if !strings.Contains(logged, "code sent to a…@example.com") || strings.Contains(logged, "kind=email-otp") {
				t.Fatalf("log:\n%s", logged)
			}
			if status, body := grant("acme", "alice", "Alice-passw0rd", code[:6]); status != 200 {
				t.Fatalf("with the logged code: %d %v", status, body)
			}
		})
	}
}
