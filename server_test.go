package opengate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/rbac"
)

const adminPassword = "Admin-passw0rd-test"

// embedded is a Server mounted in a custom server: OpenGate's handler at the
// root of the test's own mux, beside the test's own route /app/whoami behind
// OpenGate's verifier.
type embedded struct {
	*opengate.Server
	URL string
}

// embed starts New(cfg) with IssuerBase set to the custom server's URL, runs
// it until the test ends and returns it.
func embed(t *testing.T, cfg opengate.Config) embedded {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	cfg.IssuerBase = ts.URL
	cfg.Admin = &opengate.Admin{Username: "admin", Password: adminPassword}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := opengate.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run = %v", err)
		}
		srv.Close()
	})
	mux.Handle("/", srv.Handler())
	mux.Handle("GET /app/whoami", srv.Verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := iam.PrincipalFrom(r.Context())
		if p == nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "%s@%s", p.Username, p.Realm)
	})))
	return embedded{Server: srv, URL: ts.URL}
}

// token returns an access token of username from realm's admin-cli client.
func (e embedded) token(t *testing.T, realm, username, password string) string {
	t.Helper()
	resp, err := http.PostForm(e.URL+"/realms/"+realm+"/protocol/openid-connect/token", url.Values{
		"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {username}, "password": {password},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("password grant of %s in %s: %d", username, realm, resp.StatusCode)
	}
	return body.AccessToken
}

// call sends a request with a bearer token and a JSON body ("" for none)
// and returns the status and the body without surrounding white space.
func (e embedded) call(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(raw))
}

// must fails the test unless the call answers want.
func (e embedded) must(t *testing.T, want int, method, path, token, body string) string {
	t.Helper()
	status, got := e.call(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, status, got, want)
	}
	return got
}

// eventually polls cond until it holds, failing the test after 45 seconds.
// It waits for events to be consumed; it is not a performance assertion.
// The deadline is generous on purpose: events cross a Kafka
// consumer group, whose join takes seconds on a machine busy with other
// tests (10 s was seen to run out in CI at load average 20).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	const patience = 45 * time.Second
	for deadline := time.Now().Add(patience); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still not done after %s: %s", patience, what)
		}
	}
}

// postgresConfig gives every service a fresh database and Redis.
func postgresConfig(t *testing.T) opengate.Config {
	rc, prefix := iamtest.Redis(t)
	return opengate.Config{
		Databases: &opengate.Databases{
			Realms: iamtest.Postgres(t), Clients: iamtest.Postgres(t), Users: iamtest.Postgres(t),
			RBAC: iamtest.Postgres(t), Auth: iamtest.Postgres(t), MFA: iamtest.Postgres(t),
			Notifications: iamtest.Postgres(t),
		},
		SecretKey:   iamcrypto.GenerateKey(),
		Redis:       rc,
		RedisPrefix: prefix,
	}
}

// Deleting a realm through the API of an embedded Server takes its users,
// clients and roles with it: Run's consumers handle realm.deleted. A realm
// re-created under the same name starts empty.
func TestDeletingARealmDeletesItsUsersClientsAndRoles(t *testing.T) {
	for name, config := range map[string]func(*testing.T) opengate.Config{
		"Memory":   func(*testing.T) opengate.Config { return opengate.Config{} },
		"Postgres": postgresConfig,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := embed(t, config(t))
			ctx := context.Background()
			admin := e.token(t, "master", "admin", adminPassword)
			if got := e.must(t, 200, "GET", "/app/whoami", admin, ""); got != "admin@master" {
				t.Fatalf("custom route sees %q", got)
			}
			e.must(t, 401, "GET", "/app/whoami", "", "")

			e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"shop","enabled":true}`)
			eventually(t, "admin-cli created in the new realm", func() bool {
				_, err := e.Clients.GetByClientID(ctx, "shop", "admin-cli")
				return err == nil
			})
			e.must(t, 201, "POST", "/admin/realms/shop/users", admin,
				`{"username":"alice","enabled":true,"credentials":[{"type":"password","value":"correct-horse-9","temporary":false}]}`)
			e.must(t, 201, "POST", "/admin/realms/shop/clients", admin, `{"clientId":"orders","publicClient":true}`)
			e.must(t, 201, "POST", "/admin/realms/shop/roles", admin, `{"name":"orders-reader"}`)
			alice := e.token(t, "shop", "alice", "correct-horse-9")
			if got := e.must(t, 200, "GET", "/app/whoami", alice, ""); got != "alice@shop" {
				t.Fatalf("custom route sees %q", got)
			}

			e.must(t, 204, "DELETE", "/admin/realms/shop", admin, "")
			eventually(t, "the realm's clients deleted", func() bool {
				list, err := e.Clients.List(ctx, "shop", clients.Filter{})
				return err == nil && len(list) == 0
			})
			eventually(t, "the realm's roles deleted", func() bool {
				list, err := e.RBAC.ListRoles(ctx, "shop", rbac.RoleFilter{})
				return err == nil && len(list) == 0
			})

			// Users can only be listed in an existing realm: re-create it.
			e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"shop","enabled":true}`)
			eventually(t, "the realm's users deleted", func() bool {
				return e.must(t, 200, "GET", "/admin/realms/shop/users?username=alice&exact=true", admin, "") == "[]"
			})
			e.must(t, 404, "GET", "/admin/realms/shop/roles/orders-reader", admin, "")
			if got := e.must(t, 200, "GET", "/admin/realms/shop/clients?clientId=orders", admin, ""); got != "[]" {
				t.Fatalf("client of the deleted realm in the new one: %s", got)
			}
		})
	}
}
