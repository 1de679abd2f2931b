package main

import (
	"context"
	"encoding/json"
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
			"path": r.URL.Path, "subject": r.Header.Get(headerSubject), "realm": r.Header.Get(headerRealm),
			"client": r.Header.Get(headerClient), "roles": r.Header.Get(headerRoles),
		})
	}))
	t.Cleanup(backend.Close)
	target, _ := url.Parse(backend.URL)
	v, err := authverify.New(context.Background(), iss.URL)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(gateway(v, defaultPolicy("shop"), target))
	t.Cleanup(gw.Close)
	ops, app := token(t, iss.URL, "shop", "ops"), token(t, iss.URL, "shop", "app")
	intruder, root := token(t, iss.URL, "evil", "intruder"), token(t, iss.URL, "master", "root")

	tests := []struct {
		name   string
		path   string
		token  string
		spoof  bool
		status int
		client string // the client the backend sees on 200
	}{
		{"NoTokenIs401", "/orders", "", false, 401, ""},
		{"GarbageTokenIs401", "/orders", "not-a-jwt", false, 401, ""},
		{"CallerOfTheRealmReachesOrders", "/orders", app, false, 200, "app"},
		{"TrailingSlashIsClean", "/orders/", app, false, 200, "app"},
		{"ForgedIdentityHeadersAreReplaced", "/orders", app, true, 200, "app"},
		{"CallerOfAnotherRealmIsRefused", "/orders", intruder, false, 403, ""},
		{"AdminPathNeedsAdministrator", "/admin/realms/shop/users", app, false, 403, ""},
		{"RealmAdminAdministersItsRealm", "/admin/realms/shop/users", ops, false, 200, "ops"},
		{"RealmAdminCannotAdministerAnotherRealm", "/admin/realms/evil/users", ops, false, 403, ""},
		{"AdminOfAnotherRealmIsRefused", "/admin/realms/shop/users", intruder, false, 403, ""},
		{"MasterAdminAdministersEveryRealm", "/admin/realms/shop/users", root, false, 200, "root"},
		{"RealmListNeedsMasterAdmin", "/admin/realms", ops, false, 403, ""},
		{"OtherAdminPathsNeedMasterAdmin", "/admin/metrics", ops, false, 403, ""},
		{"MasterAdminReachesOtherAdminPaths", "/admin/metrics", root, false, 200, "root"},
		{"AdminPrefixWithoutSlashIsProtected", "/admin", app, false, 403, ""},
		{"InvalidRealmInPathIsRefused", "/admin/realms/-/users", ops, false, 403, ""},
		{"SegmentPrefixIsNotAdmin", "/administrators", app, false, 200, "app"},
		{"DoubleSlashIsRefused", "//admin/realms/shop/users", app, false, 400, ""},
		{"DotDotIsRefused", "/x/../admin/realms/shop/users", app, false, 400, ""},
		{"DotIsRefused", "/admin/./realms/shop/users", app, false, 400, ""},
		{"EncodedDotDotIsRefused", "/x/%2e%2E/admin/realms/shop/users", app, false, 400, ""},
		{"EncodedSlashIsRefused", "/admin%2Frealms%2fshop/users", app, false, 400, ""},
		{"EncodedBackslashIsRefused", "/x%5c..%5cadmin/realms/shop/users", app, false, 400, ""},
		{"DoubleEncodingIsRefused", "/x/%252e%252e/admin/realms/shop/users", app, false, 400, ""},
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
				t.Fatalf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			var seen map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&seen)
			var want []string
			for _, c := range testClients {
				if c.clientID == tt.client {
					want = c.roles
				}
			}
			if seen["path"] != tt.path || seen["client"] != tt.client || seen["subject"] == "" ||
				!sameRoles(seen["roles"], want) {
				t.Fatalf("backend saw %+v, want client %s with roles %v on %s", seen, tt.client, want, tt.path)
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
