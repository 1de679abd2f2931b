package rbachttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
)

// principals the test middleware puts in the context, by X-Test-Principal.
var principals = map[string]*iam.Principal{
	"master-admin":       {Subject: "root", Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}},
	"acme-admin":         {Subject: "a1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}},
	"acme-user":          {Subject: "u1", Realm: "acme", Roles: []string{"user"}},
	"master-realm-admin": {Subject: "mra", Realm: iam.MasterRealm, Roles: []string{iam.RoleRealmAdmin}},
	"acme-view-clients": {Subject: "vc", Realm: "acme",
		ClientRoles: map[string][]string{iam.RealmManagement: {string(iam.PermViewClients)}}},
	"acme-manage-users": {Subject: "mu", Realm: "acme",
		ClientRoles: map[string][]string{iam.RealmManagement: {string(iam.PermManageUsers)}}},
}

// withTestPrincipal stands in for the auth middleware.
func withTestPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := principals[r.Header.Get("X-Test-Principal")]; p != nil {
			r = r.WithContext(iam.WithPrincipal(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

// serviceToken is the shared secret of the internal routes in tests.
const serviceToken = "test-service-token"

type env struct {
	t   *testing.T
	svc *rbac.Service
	srv *httptest.Server
}

func newEnv(t *testing.T, opts ...rbachttp.Option) *env {
	t.Helper()
	svc := rbac.New(rbacmem.New(nil))
	srv := httptest.NewServer(withTestPrincipal(rbachttp.NewHandler(svc, append([]rbachttp.Option{rbachttp.WithServiceToken(serviceToken)}, opts...)...)))
	t.Cleanup(srv.Close)
	return &env{t: t, svc: svc, srv: srv}
}

// response is an answer of the server.
type response struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

// errorBody returns the error body.
func (r response) errorBody(t *testing.T) iamhttp.ErrorBody {
	t.Helper()
	var b iamhttp.ErrorBody
	r.decode(t, &b)
	return b
}

// call sends method path with body (a string is sent raw, nil as no body)
// as principal (""= anonymous).
func (e *env) call(principal, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if principal != "" {
		req.Header.Set("X-Test-Principal", principal)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// admin calls as the master administrator.
func (e *env) admin(method, path string, body any) response {
	e.t.Helper()
	return e.call("master-admin", method, path, body)
}

// must calls as the master administrator and fails unless status answers.
func (e *env) must(status int, method, path string, body any) response {
	e.t.Helper()
	r := e.admin(method, path, body)
	if r.status != status {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, r.status, r.body, status)
	}
	return r
}

// roles decodes an array of roles.
func (e *env) roles(method, path string) []rbachttp.RoleRepresentation {
	e.t.Helper()
	var out []rbachttp.RoleRepresentation
	e.must(http.StatusOK, method, path, nil).decode(e.t, &out)
	return out
}

// role returns the role at path.
func (e *env) role(path string) rbachttp.RoleRepresentation {
	e.t.Helper()
	var out rbachttp.RoleRepresentation
	e.must(http.StatusOK, http.MethodGet, path, nil).decode(e.t, &out)
	return out
}

func repNames(reps []rbachttp.RoleRepresentation) []string {
	out := make([]string, len(reps))
	for i, r := range reps {
		out[i] = r.Name
	}
	return out
}

func ref(id string) []map[string]string { return []map[string]string{{"id": id}} }

// groupID returns the id a creation's Location names.
func groupID(t *testing.T, r response) string {
	t.Helper()
	loc := r.header.Get("Location")
	i := strings.LastIndex(loc, "/")
	if i < 0 || loc[i+1:] == "" {
		t.Fatalf("Location %q names no id", loc)
	}
	return loc[i+1:]
}
