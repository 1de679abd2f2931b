package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
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
