package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
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

	env := map[string]string{
		"ISSUER": srv.URL + "/realms/acme", "CLIENT_ID": "cli", "USERNAME": "alice", "PASSWORD": "correct-horse-9",
	}
	var out bytes.Buffer
	if err := run(context.Background(), func(k string) string { return env[k] }, &out); err != nil {
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
	if err := run(context.Background(), func(k string) string { return env[k] }, &out); err == nil {
		t.Fatal("a wrong password signed in")
	}
}
