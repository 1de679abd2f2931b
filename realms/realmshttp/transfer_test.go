package realmshttp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/usersmem"
)

// tokens stand for verified bearer tokens: the middleware a deployment
// puts in front of every service (its token verifier) makes each the
// principal it names.
var tokens = map[string]*iam.Principal{"master-admin-token": masterAdmin, "acme-admin-token": acmeAdmin}

func verified(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; p != nil {
			r = r.WithContext(iam.WithPrincipal(r.Context(), p))
		}
		h.ServeHTTP(w, r)
	})
}

// microservices is realm-service's Transfer over the other services, each
// behind its own HTTP server as in the microservices deployment.
type microservices struct {
	realms  *realms.Service
	users   *users.Service
	clients *clients.Service
	rbac    *rbac.Service
	url     string // realm-service
}

func startMicroservices(t *testing.T) *microservices {
	t.Helper()
	ctx := context.Background()
	m := &microservices{realms: realms.New(realmsmem.New(nil))}
	m.users = users.New(usersmem.New(nil), m.realms)
	m.clients = clients.New(clientsmem.New(nil))
	m.rbac = rbac.New(rbacmem.New(nil), rbac.WithClientResolver(m.clients))
	if _, err := m.realms.EnsureMaster(ctx); err != nil {
		t.Fatal(err)
	}
	// The services read what the caller holds now from rbac: masterAdmin
	// holds master's admin there.
	if err := m.rbac.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil {
		t.Fatal(err)
	}
	if err := m.rbac.AssignRealmRoles(ctx, iam.MasterRealm, masterAdmin.Subject, iam.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(verified(h))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	transfer := realmshttp.NewTransfer(m.realms,
		usershttp.NewClient(serve(usershttp.NewHandler(m.users, usershttp.WithServiceToken(serviceToken))), serviceToken),
		clientshttp.NewClient(serve(clientshttp.NewHandler(m.clients, clientshttp.WithServiceToken(serviceToken))), serviceToken),
		rbachttp.NewClient(serve(rbachttp.NewHandler(m.rbac, rbachttp.WithServiceToken(serviceToken))), serviceToken),
		slog.New(slog.DiscardHandler))
	m.url = serve(realmshttp.NewHandler(m.realms, realmshttp.WithServiceToken(serviceToken), realmshttp.WithTransfer(transfer)))
	return m
}

func (m *microservices) call(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, m.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func testRealm(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/keycloak/testrealm.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// In the microservices, realm-service imports a Keycloak realm export
// through the other services' internal import routes, for the caller whose
// token it forwards; partial-export reads it back the same way.
func TestRealmImportAcrossServices(t *testing.T) {
	m := startMicroservices(t)
	status, body := m.call(t, http.MethodPost, "/admin/realms", "master-admin-token", testRealm(t))
	if status != http.StatusCreated {
		t.Fatalf("import = %d %s", status, body)
	}
	var report realmshttp.ImportReport
	if err := json.Unmarshal([]byte(body), &report); err != nil || report.Imported.Users != 7 || report.Imported.Groups != 2 {
		t.Fatalf("report = %s (%v)", body, err)
	}
	u, err := m.users.GetByUsername(t.Context(), "test", "rolerichuser")
	if err != nil {
		t.Fatal(err)
	}
	realmRoles, clientRoles, err := m.rbac.EffectiveRoles(t.Context(), "test", u.ID)
	if err != nil || !slices.Contains(realmRoles, "sample-realm-role") || !slices.Contains(clientRoles["test-app"], "customer-admin") {
		t.Fatalf("roleRichUser holds %v %v (%v)", realmRoles, clientRoles, err)
	}
	if _, err := m.users.Authenticate(t.Context(), "test", "test-user@localhost", "password"); err != nil {
		t.Fatalf("an imported user's password: %v", err)
	}

	status, body = m.call(t, http.MethodPost, "/admin/realms/test/partial-export?exportClients=true&exportGroupsAndRoles=true", "master-admin-token", "")
	if status != http.StatusOK || !strings.Contains(body, `"secret":"**********"`) || strings.Contains(body, `"secret":"password"`) ||
		!strings.Contains(body, `"realm-composite-role"`) || !strings.Contains(body, `"/roleRichGroup/level2group"`) {
		t.Fatalf("partial export = %d %s", status, body)
	}
}

// The other services authorize the caller themselves: an import whose
// caller they do not accept fails there, and the realm goes.
func TestRealmImportAcrossServicesNeedsTheCallersToken(t *testing.T) {
	m := startMicroservices(t)
	transfer := realmshttp.NewTransfer(m.realms, usershttp.NewClient("http://127.0.0.1:1", serviceToken),
		clientshttp.NewClient("http://127.0.0.1:1", serviceToken), rbachttp.NewClient("http://127.0.0.1:1", serviceToken), nil)
	_, err := transfer.ImportRealm(t.Context(), json.RawMessage(`{"realm":"down","enabled":true,"users":[{"username":"x","enabled":true}]}`))
	if iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("peers down: %v", err)
	}
	if _, err := m.realms.Get(t.Context(), "down"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("the realm of a failed import: %v", err)
	}
	// An administrator of acme only: realm-service refuses a realm import
	// (master administrators only) before any service is called.
	if status, body := m.call(t, http.MethodPost, "/admin/realms", "acme-admin-token", testRealm(t)); status != http.StatusForbidden {
		t.Fatalf("acme's administrator = %d %s", status, body)
	}
}
