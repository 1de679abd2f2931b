package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate"
)

const (
	adminPassword = "Admin-passw0rd-bench"
	secret        = "svc-secret-0123456789"
	userPassword  = "Correct-horse-9"
)

func getenv(name string) string {
	if name == "OPENGATE_ADMIN_PASSWORD" {
		return adminPassword
	}
	return ""
}

// allInOne starts OpenGate in memory behind an httptest server (the
// all-in-one's handler, gateway chain included, rate limits off) and
// prepares it with -setup: realm bench (ES256), client svc, users user-0
// to user-4.
func allInOne(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := opengate.New(ctx, opengate.Config{IssuerBase: ts.URL, Logger: slog.New(slog.DiscardHandler),
		Admin: &opengate.Admin{Username: "admin", Password: adminPassword}})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-ran
		srv.Close()
	})
	mux.Handle("/", srv.Handler())
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-setup", "-base", ts.URL, "-realm", "bench", "-alg", "ES256",
		"-client", "svc", "-secret", secret, "-password", userPassword, "-users", "5"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("setup: %v", err)
	}
	if got := out.String(); !strings.Contains(got, "realm bench (ES256): client svc, 5 users user-0 … user-4") {
		t.Fatalf("setup output = %q", got)
	}
	return ts.URL
}

func TestEveryScenarioCountsEveryRequest(t *testing.T) {
	base := allInOne(t)
	for _, sc := range []string{"client_credentials", "password", "refresh", "authcode", "introspect", "userinfo", "usersearch"} {
		t.Run(sc, func(t *testing.T) {
			var out, errs bytes.Buffer
			err := run(context.Background(), []string{"-base", base, "-realm", "bench", "-client", "svc",
				"-secret", secret, "-username", "user-3", "-password", userPassword,
				"-scenario", sc, "-c", "2", "-n", "6", "-d", "1m"}, getenv, &out, &errs)
			if err != nil {
				t.Fatalf("run: %v (%s %s)", err, out.String(), errs.String())
			}
			if !regexp.MustCompile(`^` + sc + `: 6 ok, 0 failed in .* with 2 workers: \d+ req/s; latency p50 \S+ p90 \S+ p99 \S+\n$`).
				MatchString(out.String()) {
				t.Fatalf("output = %q", out.String())
			}
		})
	}
}

// The setup can be run again on a prepared deployment: it updates what
// exists (here the realm's algorithm, the client and the users' password).
func TestSetupAgainUpdatesWhatExists(t *testing.T) {
	base := allInOne(t)
	if err := run(context.Background(), []string{"-setup", "-base", base, "-realm", "bench", "-alg", "EdDSA",
		"-client", "svc", "-secret", secret, "-password", "Another-horse-7", "-users", "5"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("setup again: %v", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-base", base, "-realm", "bench", "-client", "svc", "-secret", secret,
		"-username", "user-1", "-password", "Another-horse-7", "-scenario", "password", "-c", "1", "-n", "1"},
		getenv, &out, io.Discard); err != nil {
		t.Fatalf("sign-in with the new password: %v (%s)", err, out.String())
	}
}

func TestFailuresAreCountedAndReported(t *testing.T) {
	base := allInOne(t)
	for name, args := range map[string][]string{
		"WrongSecret":   {"-secret", "wrong-secret-0123456789", "-scenario", "client_credentials"},
		"WrongPassword": {"-secret", secret, "-scenario", "authcode", "-username", "user-1", "-password", "Wrong-horse-1"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errs bytes.Buffer
			err := run(context.Background(), append([]string{"-base", base, "-realm", "bench", "-client", "svc",
				"-c", "1", "-n", "3"}, args...), getenv, &out, &errs)
			if err == nil || !regexp.MustCompile(`: 0 ok, 3 failed`).MatchString(out.String()) {
				t.Fatalf("err = %v, output = %q", err, out.String())
			}
			if !strings.HasPrefix(errs.String(), "first failure: ") || strings.Contains(errs.String(), secret) {
				t.Fatalf("stderr = %q", errs.String())
			}
		})
	}
}

func TestPreparationFailuresStopTheRun(t *testing.T) {
	base := allInOne(t)
	for name, args := range map[string][]string{
		"UserinfoWithAWrongPassword": {"-scenario", "userinfo", "-username", "user-1", "-password", "Wrong-horse-1"},
		"RefreshOfAnUnknownUser":     {"-scenario", "refresh", "-username", "nobody", "-password", userPassword},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"-base", base, "-realm", "bench", "-client", "svc",
				"-secret", secret, "-c", "1", "-n", "3"}, args...), getenv, &out, io.Discard)
			if err == nil || out.Len() != 0 {
				t.Fatalf("err = %v, output = %q", err, out.String())
			}
		})
	}
	t.Run("UsersearchWithoutTheAdminPassword", func(t *testing.T) {
		err := run(context.Background(), []string{"-base", base, "-realm", "bench", "-scenario", "usersearch", "-n", "1"},
			func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "administrator's password") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRejectsBadFlags(t *testing.T) {
	for name, args := range map[string][]string{
		"NoClient":        {},
		"NoWorkers":       {"-client", "x", "-c", "0"},
		"TooLong":         {"-client", "x", "-d", "1h"},
		"UnknownScenario": {"-client", "x", "-scenario", "nope"},
		"StrayArgument":   {"-client", "x", "extra"},
		"PasswordNoUser":  {"-client", "x", "-scenario", "password"},
		"AuthcodeNoURI":   {"-client", "x", "-scenario", "authcode", "-username", "u", "-password", "p", "-redirect-uri", ""},
		"SetupBadAlg":     {"-setup", "-client", "x", "-secret", secret, "-password", "p", "-alg", "HS256"},
		"SetupNoSecret":   {"-setup", "-client", "x", "-password", "p"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := run(context.Background(), args, getenv, io.Discard, io.Discard); err == nil {
				t.Errorf("run(%q) succeeded", args)
			}
		})
	}
}
