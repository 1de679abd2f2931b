package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

func server(t *testing.T) string {
	t.Helper()
	dir := authtest.NewDirectory()
	dir.PutRealm(realms.Realm{Name: "acme", Enabled: true})
	dir.PutClient(clients.Client{ID: "0190a6c4-7b8a-7cde-8f00-000000000001", Realm: "acme", ClientID: "svc",
		Enabled: true, ServiceAccountsEnabled: true, DirectAccessGrantsEnabled: true}, "svc-secret-0123456789")
	dir.PutUser(users.User{ID: "0190a6c4-7b8a-7cde-8f00-0000000000aa", Realm: "acme", Username: "alice", Enabled: true}, "pw-alice-123")
	r := chi.NewRouter()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	svc, err := dir.NewService(srv.URL, authmem.NewKeyStore(), authmem.New())
	if err != nil {
		t.Fatal(err)
	}
	authhttp.NewHandler(svc).MountPublic(r)
	return srv.URL
}

func TestScenariosCountEveryRequest(t *testing.T) {
	base := server(t)
	for _, sc := range []string{"client_credentials", "introspect", "userinfo", "password"} {
		t.Run(sc, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{"-base", base, "-realm", "acme", "-client", "svc",
				"-secret", "svc-secret-0123456789", "-username", "alice", "-password", "pw-alice-123",
				"-scenario", sc, "-c", "2", "-n", "20", "-d", "30s"}, &out, io.Discard)
			if err != nil {
				t.Fatalf("run: %v (%s)", err, out.String())
			}
			if !regexp.MustCompile(`: 20 ok, 0 failed in .* req/s; latency p50 \S+ p90 \S+ p99 \S+`).MatchString(out.String()) {
				t.Fatalf("output = %q", out.String())
			}
		})
	}
}

func TestFailuresAreCountedAndReported(t *testing.T) {
	base := server(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-base", base, "-realm", "acme", "-client", "svc",
		"-secret", "wrong-secret-0123456789", "-c", "1", "-n", "5"}, &out, io.Discard)
	if err == nil || !regexp.MustCompile(`: 0 ok, 5 failed`).MatchString(out.String()) {
		t.Fatalf("err = %v, output = %q", err, out.String())
	}
}

func TestRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{}, {"-client", "x", "-c", "0"}, {"-client", "x", "-d", "1h"}, {"-client", "x", "-scenario", "nope"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
