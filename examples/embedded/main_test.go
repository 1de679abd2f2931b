package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/opengate-iam/opengate/iam"
)

func startExample(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", pw); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("run did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening on ") {
		t.Fatalf("example did not start: %q %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
}

func TestClientCredentialsTokenOpensTheOrdersAPI(t *testing.T) {
	base := startExample(t)
	cfg := clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		TokenURL:     base + "/realms/shop/protocol/openid-connect/token",
	}
	resp, err := cfg.Client(context.Background()).Get(base + "/api/orders")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Caller string   `json:"caller"`
		Orders []string `json:"orders"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/orders = %d, %v", resp.StatusCode, err)
	}
	if body.Caller != clientID || len(body.Orders) == 0 {
		t.Fatalf("body = %+v", body)
	}

	anon, err := http.Get(base + "/api/orders")
	if err != nil {
		t.Fatal(err)
	}
	anon.Body.Close()
	if anon.StatusCode != 401 {
		t.Fatalf("without a token: %d, want 401", anon.StatusCode)
	}

	wrong := clientcredentials.Config{ClientID: clientID, ClientSecret: "not-the-secret", TokenURL: cfg.TokenURL}
	if _, err := wrong.Token(context.Background()); err == nil {
		t.Fatal("a wrong client secret got a token")
	}
}

func TestRequireRealmRole(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
	tests := []struct {
		name   string
		p      *iam.Principal
		status int
	}{
		{"AnonymousIs401", nil, 401},
		{"WithoutTheRoleIs403", &iam.Principal{Realm: realm, Roles: []string{"other"}}, 403},
		{"OtherRealmIs403", &iam.Principal{Realm: "elsewhere", Roles: []string{readerRole}}, 403},
		{"WithTheRolePasses", &iam.Principal{Realm: realm, Roles: []string{readerRole}}, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/api/orders", nil)
			if tt.p != nil {
				req = req.WithContext(iam.WithPrincipal(req.Context(), tt.p))
			}
			rec := httptest.NewRecorder()
			requireRealmRole(realm, readerRole)(ok).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
		})
	}
}
