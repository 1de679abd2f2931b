package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// startJSON runs the binary with OPENGATE_LOG_FORMAT=json and env, and
// returns its URL, its stdout up to the banner and its log (stderr).
func startJSON(t *testing.T, env map[string]string) (url string, stdout []string, log *lockedBuffer) {
	t.Helper()
	env["OPENGATE_LOG_FORMAT"] = "json"
	ctx, cancel := context.WithCancel(context.Background())
	log = &lockedBuffer{}
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
		stdout = append(stdout, lines.Text())
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(lines.Bytes(), &rec) == nil && strings.Contains(rec.Msg, "listening on") {
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			return "http://" + rec.Addr, stdout, log
		}
	}
	t.Fatalf("run ended early: %v (stdout %q)", <-done, stdout)
	return "", nil, nil
}

// requireJSONLines fails unless every line of out is a JSON object.
func requireJSONLines(t *testing.T, what string, lines []string) {
	t.Helper()
	if len(lines) == 0 {
		t.Fatalf("no %s", what)
	}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s line %q is not JSON: %v", what, line, err)
		}
	}
}

// In JSON mode everything the binary writes is JSON: the banner and the
// generated administrator password on stdout as well as the log.
func TestJSONModeWritesOnlyJSON(t *testing.T) {
	_, stdout, log := startJSON(t, map[string]string{})
	requireJSONLines(t, "stdout", stdout)
	if len(stdout) < 3 { // the password, its note, the banner
		t.Fatalf("stdout = %q, want the administrator's password and the banner", stdout)
	}
	requireJSONLines(t, "log", strings.Split(strings.TrimSpace(log.String()), "\n"))
}

// A failed login is one INFO record with realm, client, user id, address
// and reason, never the password; /metrics counts it by reason and the
// token request by grant and result, without a realm label.
func TestFailedLoginIsLoggedAndCounted(t *testing.T) {
	base, _, log := startJSON(t, map[string]string{"OPENGATE_ADMIN_PASSWORD": "bootstrap-Passw0rd"})
	resp, err := http.PostForm(base+"/realms/master/protocol/openid-connect/token", url.Values{
		"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"admin"}, "password": {"wrong-Secret-42"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 && resp.StatusCode != 400 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	var failed map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "login failed" {
			failed = rec
		}
	}
	if failed == nil || failed["level"] != "INFO" || failed["realm"] != "master" || failed["client"] != "admin-cli" ||
		failed["reason"] != "invalid_credentials" || failed["userId"] == nil || failed["userId"] == "" || failed["ip"] == nil {
		t.Fatalf("login failure record = %v in log\n%s", failed, log.String())
	}
	if strings.Contains(log.String(), "wrong-Secret-42") {
		t.Fatal("the log has the password")
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`opengate_login_failures_total{reason="invalid_credentials"} 1`,
		`opengate_token_requests_total{grant="password",result="invalid_grant"} 1`,
		"opengate_password_hash_queue_depth 0",
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Fatalf("no %q in /metrics", want)
		}
	}
	if strings.Contains(string(body), `realm="`) {
		t.Fatal("a metric has a realm label")
	}
}
