package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Clients of the issuer: each has a service account with the given realm
// roles in its realm.
var testClients = []struct {
	id, realm, clientID string
	roles               []string
}{
	{"0190a6c4-7b8a-7cde-8f00-000000000001", "shop", "ops", []string{"realm-admin"}},
	{"0190a6c4-7b8a-7cde-8f00-000000000002", "shop", "app", nil},
	{"0190a6c4-7b8a-7cde-8f00-000000000003", "evil", "intruder", []string{"admin", "realm-admin"}},
	{"0190a6c4-7b8a-7cde-8f00-000000000004", "master", "root", []string{"admin"}},
}

// issuer runs OpenGate's token service over a directory holding realms
// shop, evil and master with the confidential clients of testClients.
func issuer(t *testing.T) *httptest.Server {
	t.Helper()
	dir := authtest.NewDirectory()
	for _, realm := range []iam.Realm{"shop", "evil", "master"} {
		dir.PutRealm(realms.Realm{Name: realm, Enabled: true})
	}
	for _, c := range testClients {
		dir.PutClient(clients.Client{ID: c.id, Realm: iam.Realm(c.realm), ClientID: c.clientID, Enabled: true, ServiceAccountsEnabled: true}, c.clientID+"-secret-0123456789")
		dir.SetRoles(iam.Realm(c.realm), iam.ServiceAccountSubject(c.id), c.roles, nil)
	}
	r := chi.NewRouter()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	svc, err := dir.NewService(srv.URL, authmem.NewKeyStore(), authmem.New())
	if err != nil {
		t.Fatal(err)
	}
	authhttp.NewHandler(svc).MountPublic(r)
	return srv
}

// token returns an access token of client in realm.
func token(t *testing.T, iss, realm, client string) string {
	t.Helper()
	resp, err := http.PostForm(iss+"/realms/"+realm+"/protocol/openid-connect/token", url.Values{
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
			"path": r.URL.Path, "tenant": r.Header.Get(headerTenant), "subject": r.Header.Get(headerSubject),
			"realm": r.Header.Get(headerRealm), "client": r.Header.Get(headerClient), "roles": r.Header.Get(headerRoles),
		})
	}))
	t.Cleanup(backend.Close)
	v, err := authverify.New(context.Background(), iss.URL)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGateway(v, backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	t.Cleanup(gw.Close)
	ops, app := token(t, iss.URL, "shop", "ops"), token(t, iss.URL, "shop", "app")
	intruder, root := token(t, iss.URL, "evil", "intruder"), token(t, iss.URL, "master", "root")

	tests := []struct {
		name, path, token, tenant string
		spoof                     bool
		status                    int
		client, forwarded         string // on 200: the caller and the path the backend sees
	}{
		{"NoTokenIs401", "/api/orders", "", "shop", false, 401, "", ""},
		{"GarbageTokenIs401", "/api/orders", "not-a-jwt", "shop", false, 401, "", ""},
		{"CallerOfTheTenantReachesItsOrders", "/api/orders", app, "shop", false, 200, "app", "/api/orders"},
		{"ForgedIdentityHeadersAreReplaced", "/api/orders", app, "shop", true, 200, "app", "/api/orders"},
		{"MissingTenantIs400", "/api/orders", app, "", false, 400, "", ""},
		{"MalformedTenantIs400", "/api/orders", app, "no such tenant!", false, 400, "", ""},
		{"AnotherTenantIsForbidden", "/api/orders", app, "evil", false, 403, "", ""},
		{"AnIntruderCannotNameItsVictim", "/api/orders", intruder, "shop", false, 403, "", ""},
		{"AnIntruderReachesOnlyItsOwnTenant", "/api/orders", intruder, "evil", false, 200, "intruder", "/api/orders"},
		{"MasterAdminActsForAnyTenant", "/api/orders", root, "shop", false, 200, "root", "/api/orders"},
		{"AdminPathNeedsTheAdminRole", "/api/admin/users", app, "shop", false, 403, "", ""},
		{"RealmAdminIsNotAdmin", "/api/admin/users", ops, "shop", false, 403, "", ""},
		{"AdminOfTheTenantReachesAdmin", "/api/admin/users", intruder, "evil", false, 200, "intruder", "/api/admin/users"},
		{"PathsAreCleanedBeforePolicies", "//api/orders/../admin/users", app, "shop", false, 403, "", ""},
		{"CleanedPathIsForwarded", "//api/x/../orders/", app, "shop", false, 200, "app", "/api/orders"},
		{"NoRouteOutsideTheAPI", "/api/../internal/secrets", app, "shop", false, 404, "", ""},
		{"EncodedSlashIsRefused", "/api%2Forders", app, "shop", false, 400, "", ""},
		{"HealthIsPublic", "/health", "", "", false, 200, "", "/health"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", gw.URL+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.tenant != "" {
				req.Header.Set(headerTenant, tt.tenant)
			}
			if tt.spoof {
				req.Header.Set(headerClient, "ops")
				req.Header.Set(headerRoles, "admin")
				req.Header.Set(headerRealm, "master")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			var seen map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&seen)
			if seen["path"] != tt.forwarded || seen["client"] != tt.client {
				t.Fatalf("backend saw %+v, want client %q on %s", seen, tt.client, tt.forwarded)
			}
			if tt.client == "" {
				if seen["subject"] != "" || seen["roles"] != "" {
					t.Fatalf("an anonymous request carried identity: %+v", seen)
				}
				return
			}
			var want []string
			var realm string
			for _, c := range testClients {
				if c.clientID == tt.client {
					want, realm = c.roles, c.realm
				}
			}
			if seen["subject"] == "" || seen["realm"] != realm || seen["tenant"] != tt.tenant || !sameRoles(seen["roles"], want) {
				t.Fatalf("backend saw %+v, want %s of %s with roles %v for tenant %s", seen, tt.client, realm, want, tt.tenant)
			}
		})
	}
}

// sameRoles reports whether the comma-separated header holds exactly want
// (the token may add default roles such as offline_access: only
// administrative ones are compared).
func sameRoles(header string, want []string) bool {
	for _, role := range []string{"admin", "realm-admin"} {
		if slices.Contains(strings.Split(header, ","), role) != slices.Contains(want, role) {
			return false
		}
	}
	return true
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"an unknown flag", []string{"-listen", ":1"}},

		{"a non-http backend", []string{"-opengate", "http://issuer.test", "-backend", "ftp://backend"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			if err := run(context.Background(), tc.args, &stderr); err == nil {
				t.Fatalf("run %v succeeded", tc.args)
			}
		})
	}
}

func TestDefaultListenAddressIsNoServicePort(t *testing.T) {
	var stderr strings.Builder
	if err := run(context.Background(), []string{"-h"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), `"localhost:8091"`) || !strings.Contains(stderr.String(), `"http://localhost:8080"`) {
		t.Errorf("usage %q does not show the documented defaults", stderr.String())
	}
}
