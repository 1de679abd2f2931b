package clientshttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

const serviceToken = "test-service-token"

var (
	masterAdmin = &iam.Principal{Subject: "root", Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}}
	acmeAdmin   = &iam.Principal{Subject: "a1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}
	betaAdmin   = &iam.Principal{Subject: "b1", Realm: "beta", Roles: []string{iam.RoleRealmAdmin}}
	acmeUser    = &iam.Principal{Subject: "u1", Realm: "acme", Roles: []string{"user"}}
)

type fixture struct {
	t   *testing.T
	svc *clients.Service
	h   http.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	svc := clients.New(clientsmem.New(nil))
	return &fixture{t: t, svc: svc, h: clientshttp.NewHandler(svc, clientshttp.WithServiceToken(serviceToken))}
}

// do sends a request as principal p (nil: anonymous); body is marshalled
// unless it is a string.
func (f *fixture) do(p *iam.Principal, method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var r *http.Request
	switch b := body.(type) {
	case nil:
		r = httptest.NewRequest(method, path, nil)
	case string:
		r = httptest.NewRequest(method, path, strings.NewReader(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		r = httptest.NewRequest(method, path, bytes.NewReader(raw))
	}
	r.Header.Set("Content-Type", "application/json")
	if p != nil {
		r = r.WithContext(iam.WithPrincipal(r.Context(), p))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

// create creates a client through the API and returns its id.
func (f *fixture) create(p *iam.Principal, realm string, body map[string]any) string {
	f.t.Helper()
	rec := f.do(p, "POST", "/admin/realms/"+realm+"/clients", body)
	if rec.Code != 201 {
		f.t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	// Absolute, as Keycloak's: the request's scheme and host.
	prefix := "http://example.com/admin/realms/" + realm + "/clients/"
	if !strings.HasPrefix(loc, prefix) {
		f.t.Fatalf("Location = %q", loc)
	}
	return strings.TrimPrefix(loc, prefix)
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return v
}

func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code iam.Code, field string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	b := decode[iamhttp.ErrorBody](t, rec)
	if b.Error != string(code) || b.Field != field || b.ErrorMessage == "" {
		t.Fatalf("body = %+v, want code %q field %q", b, code, field)
	}
}

func TestCreateAndGetClient(t *testing.T) {
	f := newFixture(t)
	id := f.create(acmeAdmin, "acme", map[string]any{
		"clientId": "web", "name": "Web", "redirectUris": []string{"https://app.test/cb"},
		"webOrigins": []string{"+"}, "attributes": map[string]string{"pkce.code.challenge.method": "S256"},
		"protocol": "openid-connect", "secret": "a-given-secret-of-enough-length",
	})
	rec := f.do(acmeAdmin, "GET", "/admin/realms/acme/clients/"+id, nil)
	if rec.Code != 200 {
		t.Fatalf("GET = %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "a-given-secret") || strings.Contains(rec.Body.String(), `"secret"`) {
		t.Fatalf("representation shows the secret: %s", rec.Body)
	}
	m := decode[map[string]any](t, rec)
	checks := map[string]any{
		"id": id, "clientId": "web", "name": "Web", "enabled": true, "publicClient": false,
		"standardFlowEnabled": true, "directAccessGrantsEnabled": false, "serviceAccountsEnabled": false,
		"bearerOnly": false, "protocol": "openid-connect", "clientAuthenticatorType": "client-secret",
	}
	for k, want := range checks {
		if m[k] != want {
			t.Errorf("%s = %#v, want %#v", k, m[k], want)
		}
	}
	sec := decode[clientshttp.CredentialRepresentation](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/clients/"+id+"/client-secret", nil))
	if sec.Type != "secret" || sec.Value != "a-given-secret-of-enough-length" {
		t.Fatalf("client-secret = %+v", sec)
	}
}

func TestCreateClientErrors(t *testing.T) {
	tests := []struct {
		name   string
		p      *iam.Principal
		realm  string
		body   any
		status int
		code   iam.Code
		field  string
	}{
		{"AnonymousIs401", nil, "acme", map[string]any{"clientId": "x"}, 401, iam.CodeUnauthenticated, ""},
		{"PlainUserIs403", acmeUser, "acme", map[string]any{"clientId": "x"}, 403, iam.CodeForbidden, ""},
		{"OtherRealmAdminIs403", betaAdmin, "acme", map[string]any{"clientId": "x"}, 403, iam.CodeForbidden, ""},
		{"DuplicateClientIDIs409", acmeAdmin, "acme", map[string]any{"clientId": "taken"}, 409, iam.CodeConflict, "clientId"},
		{"MissingClientIDIs400", acmeAdmin, "acme", map[string]any{"name": "x"}, 400, iam.CodeInvalid, "clientId"},
		{"WildcardRedirectIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "redirectUris": []string{"https://a.test/*"}}, 400, iam.CodeInvalid, "redirectUris"},
		{"PublicWithSecretIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "publicClient": true, "secret": "a-given-secret-of-enough-length"}, 400, iam.CodeInvalid, "secret"},
		{"ShortSecretIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "secret": "short"}, 400, iam.CodeInvalid, "secret"},
		{"PublicServiceAccountIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "publicClient": true, "serviceAccountsEnabled": true}, 400, iam.CodeInvalid, "serviceAccountsEnabled"},
		{"PlainPKCEIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "attributes": map[string]string{"pkce.code.challenge.method": "plain"}}, 400, iam.CodeInvalid, "attributes.pkce.code.challenge.method"},
		{"SAMLIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "protocol": "saml"}, 400, iam.CodeInvalid, "protocol"},
		{"JWTAuthIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "clientAuthenticatorType": "client-jwt"}, 400, iam.CodeInvalid, "clientAuthenticatorType"},
		{"UnknownFieldIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "fullScopeAlowed": true}, 400, iam.CodeInvalid, "fullScopeAlowed"},
		{"WrongTypeIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "redirectUris": "https://a.test"}, 400, iam.CodeInvalid, "redirectUris"},
		{"BadIDIs400", acmeAdmin, "acme", map[string]any{"clientId": "x", "id": "123"}, 400, iam.CodeInvalid, "id"},
		{"MalformedRealmIs400", masterAdmin, "Not_A_Realm", map[string]any{"clientId": "x"}, 400, iam.CodeInvalid, "realm"},
		{"MalformedJSONIs400", acmeAdmin, "acme", `{"clientId":`, 400, iam.CodeInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(acmeAdmin, "acme", map[string]any{"clientId": "taken"})
			wantError(t, f.do(tt.p, "POST", "/admin/realms/"+tt.realm+"/clients", tt.body), tt.status, tt.code, tt.field)
			if list, _ := f.svc.List(context.Background(), "acme", clients.Filter{}); len(list) != 1 {
				t.Fatalf("failed create left %d clients", len(list))
			}
		})
	}
}

func TestClientNotFoundAndCrossRealm(t *testing.T) {
	f := newFixture(t)
	id := f.create(acmeAdmin, "acme", map[string]any{"clientId": "web"})
	for _, path := range []string{
		"/admin/realms/beta/clients/" + id,          // another realm's client
		"/admin/realms/acme/clients/" + iam.NewID(), // missing
		"/admin/realms/acme/clients/not-a-uuid",     // cannot exist
		"/admin/realms/beta/clients/" + id + "/client-secret",
	} {
		wantError(t, f.do(masterAdmin, "GET", path, nil), 404, iam.CodeNotFound, "")
	}
	wantError(t, f.do(masterAdmin, "PUT", "/admin/realms/beta/clients/"+id, map[string]any{"name": "x"}), 404, iam.CodeNotFound, "")
	wantError(t, f.do(masterAdmin, "DELETE", "/admin/realms/beta/clients/"+id, nil), 404, iam.CodeNotFound, "")
	wantError(t, f.do(masterAdmin, "POST", "/admin/realms/beta/clients/"+id+"/client-secret", nil), 404, iam.CodeNotFound, "")
	wantError(t, f.do(betaAdmin, "GET", "/admin/realms/acme/clients/"+id, nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(nil, "GET", "/admin/realms/acme/clients/"+id+"/client-secret", nil), 401, iam.CodeUnauthenticated, "")
	if c, err := f.svc.Get(context.Background(), "acme", id); err != nil || c.Name != "" {
		t.Fatalf("client changed through another realm: %+v, %v", c, err)
	}
}

func TestListClients(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"web", "api", "mobile", "webhook"} {
		f.create(acmeAdmin, "acme", map[string]any{"clientId": id})
	}
	f.create(betaAdmin, "beta", map[string]any{"clientId": "web"})
	ids := func(query string) string {
		rec := f.do(acmeAdmin, "GET", "/admin/realms/acme/clients"+query, nil)
		if rec.Code != 200 {
			t.Fatalf("list%s = %d %s", query, rec.Code, rec.Body)
		}
		var out []string
		for _, c := range decode[[]clientshttp.ClientRepresentation](t, rec) {
			out = append(out, *c.ClientID)
		}
		return strings.Join(out, ",")
	}
	tests := map[string]string{
		"":                          "api,mobile,web,webhook",
		"?clientId=web":             "web",
		"?clientId=we":              "",
		"?clientId=web&search=true": "web,webhook",
		"?first=1&max=2":            "mobile,web",
		"?clientId=nobody":          "",
		"?clientId=WEB&search=true": "web,webhook",
		"?first=3":                  "webhook",
	}
	for q, want := range tests {
		if got := ids(q); got != want {
			t.Errorf("list%s = %q, want %q", q, got, want)
		}
	}
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/acme/clients?max=-1", nil), 400, iam.CodeInvalid, "max")
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/acme/clients?first=x", nil), 400, iam.CodeInvalid, "first")
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/acme/clients?search=maybe", nil), 400, iam.CodeInvalid, "search")
	wantError(t, f.do(acmeUser, "GET", "/admin/realms/acme/clients", nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(nil, "GET", "/admin/realms/acme/clients", nil), 401, iam.CodeUnauthenticated, "")
}

func TestUpdateClient(t *testing.T) {
	f := newFixture(t)
	id := f.create(acmeAdmin, "acme", map[string]any{"clientId": "web", "name": "Web", "redirectUris": []string{"https://app.test/cb"}})
	f.create(acmeAdmin, "acme", map[string]any{"clientId": "other"})
	if rec := f.do(acmeAdmin, "PUT", "/admin/realms/acme/clients/"+id, map[string]any{"description": "the app"}); rec.Code != 204 {
		t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
	}
	m := decode[map[string]any](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/clients/"+id, nil))
	if m["description"] != "the app" || m["name"] != "Web" || len(m["redirectUris"].([]any)) != 1 {
		t.Fatalf("after partial PUT: %v", m)
	}
	// GET-modify-PUT round trip.
	m["directAccessGrantsEnabled"] = true
	if rec := f.do(acmeAdmin, "PUT", "/admin/realms/acme/clients/"+id, m); rec.Code != 204 {
		t.Fatalf("round-trip PUT = %d %s", rec.Code, rec.Body)
	}
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/clients/"+id, map[string]any{"clientId": "other"}), 409, iam.CodeConflict, "clientId")
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/clients/"+id, map[string]any{"redirectUris": []string{"javascript:x"}}), 400, iam.CodeInvalid, "redirectUris")
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/clients/"+id, map[string]any{"id": iam.NewID()}), 400, iam.CodeInvalid, "id")
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/clients/"+id, map[string]any{"secret": "a-new-secret-0123456789"}), 400, iam.CodeInvalid, "secret")
	wantError(t, f.do(acmeUser, "PUT", "/admin/realms/acme/clients/"+id, map[string]any{"name": "x"}), 403, iam.CodeForbidden, "")
	c, _ := f.svc.Get(context.Background(), "acme", id)
	if c.ClientID != "web" || !c.DirectAccessGrantsEnabled || c.RedirectURIs[0] != "https://app.test/cb" {
		t.Fatalf("client = %+v", c)
	}
}

func TestRotateSecretAndDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.create(acmeAdmin, "acme", map[string]any{"clientId": "web"})
	old := decode[clientshttp.CredentialRepresentation](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/clients/"+id+"/client-secret", nil))
	rec := f.do(acmeAdmin, "POST", "/admin/realms/acme/clients/"+id+"/client-secret", nil)
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("rotate = %d %v", rec.Code, rec.Header())
	}
	rotated := decode[clientshttp.CredentialRepresentation](t, rec)
	if rotated.Value == old.Value || len(rotated.Value) != 43 {
		t.Fatalf("rotated %q (old %q)", rotated.Value, old.Value)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", old.Value); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("old secret: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", rotated.Value); err != nil {
		t.Fatalf("new secret: %v", err)
	}
	pub := f.create(acmeAdmin, "acme", map[string]any{"clientId": "spa", "publicClient": true})
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/acme/clients/"+pub+"/client-secret", nil), 400, iam.CodeInvalid, "publicClient")
	wantError(t, f.do(acmeAdmin, "POST", "/admin/realms/acme/clients/"+pub+"/client-secret", nil), 400, iam.CodeInvalid, "publicClient")
	wantError(t, f.do(acmeUser, "POST", "/admin/realms/acme/clients/"+id+"/client-secret", nil), 403, iam.CodeForbidden, "")

	wantError(t, f.do(acmeUser, "DELETE", "/admin/realms/acme/clients/"+id, nil), 403, iam.CodeForbidden, "")
	if rec := f.do(acmeAdmin, "DELETE", "/admin/realms/acme/clients/"+id, nil); rec.Code != 204 {
		t.Fatalf("DELETE = %d %s", rec.Code, rec.Body)
	}
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/acme/clients/"+id, nil), 404, iam.CodeNotFound, "")
	wantError(t, f.do(acmeAdmin, "DELETE", "/admin/realms/acme/clients/"+id, nil), 404, iam.CodeNotFound, "")
}

func TestInternalRoutesNeedServiceToken(t *testing.T) {
	f := newFixture(t)
	id := f.create(acmeAdmin, "acme", map[string]any{"clientId": "web"})
	paths := []struct{ method, path, body string }{
		{"GET", "/internal/realms/acme/clients/" + id, ""},
		{"GET", "/internal/realms/acme/clients?clientId=web", ""},
		{"POST", "/internal/realms/acme/clients/authenticate", `{"clientId":"web","secret":"x"}`},
	}
	for _, p := range paths {
		for _, token := range []string{"", "wrong", serviceToken + " "} {
			r := httptest.NewRequest(p.method, p.path, strings.NewReader(p.body))
			r.Header.Set(iamhttp.ServiceTokenHeader, token)
			r = r.WithContext(iam.WithPrincipal(r.Context(), masterAdmin)) // an admin is not a service
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, r)
			wantError(t, rec, 403, iam.CodeForbidden, "")
		}
	}
}
