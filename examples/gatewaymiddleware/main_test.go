package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/realms"
)

// issuer runs OpenGate's token service over a directory holding realm "shop"
// with two confidential clients: "ops" (realm role admin) and "app" (none).
func issuer(t *testing.T) *httptest.Server {
	t.Helper()
	dir := authtest.NewDirectory()
	dir.PutRealm(realms.Realm{Name: "shop", Enabled: true})
	for _, c := range []struct{ id, clientID string }{{"0190a6c4-7b8a-7cde-8f00-000000000001", "ops"}, {"0190a6c4-7b8a-7cde-8f00-000000000002", "app"}} {
		dir.PutClient(clients.Client{ID: c.id, Realm: "shop", ClientID: c.clientID, Enabled: true, ServiceAccountsEnabled: true}, c.clientID+"-secret-0123456789")
	}
	dir.SetRoles("shop", auth.ServiceAccountSubject("0190a6c4-7b8a-7cde-8f00-000000000001"), []string{"admin"}, nil)
	var srv *httptest.Server
	r := chi.NewRouter()
	srv = httptest.NewServer(r)
	t.Cleanup(srv.Close)
	svc, err := dir.NewService(srv.URL, authmem.NewKeyStore(), authmem.New())
	if err != nil {
		t.Fatal(err)
	}
	authhttp.New(svc).OIDCRoutes(r)
	return srv
}

func token(t *testing.T, iss, client string) string {
	t.Helper()
	resp, err := http.PostForm(iss+"/realms/shop/protocol/openid-connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {client + "-secret-0123456789"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("token for %s: %d %v", client, resp.StatusCode, err)
	}
	return body.AccessToken
}

func TestGateway(t *testing.T) {
	iss := issuer(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"subject": r.Header.Get(headerSubject), "realm": r.Header.Get(headerRealm),
			"client": r.Header.Get(headerClient), "roles": r.Header.Get(headerRoles),
		})
	}))
	t.Cleanup(backend.Close)
	target, _ := url.Parse(backend.URL)
	v, err := authverify.New(context.Background(), iss.URL)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(gateway(v, []rule{{prefix: "/admin/", role: "admin"}, {prefix: "/"}}, target))
	t.Cleanup(gw.Close)
	ops, app := token(t, iss.URL, "ops"), token(t, iss.URL, "app")

	tests := []struct {
		name    string
		path    string
		token   string
		spoof   bool
		status  int
		client  string
		isAdmin bool
	}{
		{"NoTokenIs401", "/orders", "", false, 401, "", false},
		{"GarbageTokenIs401", "/orders", "not-a-jwt", false, 401, "", false},
		{"AnyCallerReachesOrders", "/orders", app, false, 200, "app", false},
		{"AdminPathNeedsAdminRole", "/admin/users", app, false, 403, "", false},
		{"AdminReachesAdminPath", "/admin/users", ops, false, 200, "ops", true},
		{"ForgedIdentityHeadersAreReplaced", "/orders", app, true, 200, "app", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", gw.URL+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.spoof {
				req.Header.Set(headerClient, "ops")
				req.Header.Set(headerRoles, "admin")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			var seen map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&seen)
			if seen["client"] != tt.client || seen["realm"] != "shop" || seen["subject"] == "" ||
				strings.Contains(seen["roles"], "admin") != tt.isAdmin {
				t.Fatalf("backend saw %+v", seen)
			}
		})
	}
}
