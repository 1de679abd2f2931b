package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

func TestSignsInWithUnmodifiedOIDCLibraries(t *testing.T) {
	dir := authtest.NewDirectory()
	dir.PutRealm(realms.Realm{Name: "acme", Enabled: true})
	dir.PutClient(clients.Client{ID: "0190a6c4-7b8a-7cde-8f00-000000000001", Realm: "acme", ClientID: "cli",
		Enabled: true, PublicClient: true, DirectAccessGrantsEnabled: true}, "")
	dir.PutUser(users.User{ID: "0190a6c4-7b8a-7cde-8f00-0000000000aa", Realm: "acme", Username: "alice",
		Email: "alice@example.com", EmailVerified: true, Enabled: true}, "correct-horse-9")
	r := chi.NewRouter()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	svc, err := dir.NewService(srv.URL, authmem.NewKeyStore(), authmem.New())
	if err != nil {
		t.Fatal(err)
	}
	authhttp.NewHandler(svc).MountPublic(r)

	args := []string{"-opengate", srv.URL, "-realm", "acme", "-client-id", "cli", "-username", "alice"}
	env := map[string]string{"PASSWORD": "correct-horse-9"}
	var out, stderr bytes.Buffer
	if err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &stderr); err != nil {
		t.Fatal(err)
	}
	var got struct {
		IDToken  claims            `json:"id_token"`
		UserInfo map[string]string `json:"userinfo"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.IDToken.Subject != "0190a6c4-7b8a-7cde-8f00-0000000000aa" || got.IDToken.PreferredUsername != "alice" ||
		got.UserInfo["email"] != "alice@example.com" {
		t.Fatalf("output = %s", out.String())
	}

	env["PASSWORD"] = "wrong"
	if err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &stderr); err == nil {
		t.Fatal("a wrong password signed in")
	}
}

func TestRunRefusesBadSettings(t *testing.T) {
	withPassword := func(k string) string { return map[string]string{"PASSWORD": "pw"}[k] }
	for _, tc := range []struct {
		name   string
		args   []string
		getenv func(string) string
	}{
		{"AnUnknownFlag", []string{"-issuer", "http://localhost:8080/realms/master"}, withPassword},
		{"AnOpenGateURLThatIsNotHTTP", []string{"-opengate", "localhost:8080"}, withPassword},
		{"AnEmptyUsername", []string{"-username", ""}, withPassword},
		{"NoPassword", nil, func(string) string { return "" }},
		{"StrayArguments", []string{"alice"}, withPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, stderr bytes.Buffer
			if err := run(context.Background(), tc.args, tc.getenv, &out, &stderr); err == nil {
				t.Fatalf("run %v succeeded", tc.args)
			}
		})
	}
}

func TestDefaultsAreDocumented(t *testing.T) {
	var out, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &out, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{`"http://localhost:8080"`, `"master"`, `"admin-cli"`, `"admin"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("usage %q does not show the default %s", stderr.String(), want)
		}
	}
}
