package usershttp_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users/usershttp"
)

func TestCreateAndGetUser(t *testing.T) {
	f := newFixture(t)
	id := f.create(acmeAdmin, "acme", map[string]any{"username": "Alice", "email": "Alice@Example.com",
		"firstName": "Alice", "lastName": "Liddell", "enabled": true, "emailVerified": true,
		"attributes": map[string]any{"dept": []string{"eng"}}, "requiredActions": []string{"CONFIGURE_TOTP"},
		"credentials": []any{map[string]any{"type": "password", "value": "s3cret", "temporary": true}},
		"totp":        false, "notBefore": 0, "realmRoles": []string{"default-roles-acme"}})
	rec := f.do(acmeAdmin, "GET", "/admin/realms/acme/users/"+id, nil)
	wantStatus(t, rec, http.StatusOK)
	got := decode[map[string]any](t, rec)
	want := map[string]any{"id": id, "username": "alice", "email": "alice@example.com", "firstName": "Alice",
		"lastName": "Liddell", "enabled": true, "emailVerified": true}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s = %v, want %v (%v)", k, got[k], v, got)
		}
	}
	if ts, ok := got["createdTimestamp"].(float64); !ok || ts < 1e12 {
		t.Fatalf("createdTimestamp = %v, want milliseconds", got["createdTimestamp"])
	}
	if fmt.Sprint(got["requiredActions"]) != "[CONFIGURE_TOTP UPDATE_PASSWORD]" || fmt.Sprint(got["attributes"]) != "map[dept:[eng]]" {
		t.Fatalf("representation = %v", got)
	}
	if strings.Contains(rec.Body.String(), "credentials") || strings.Contains(rec.Body.String(), "argon2") {
		t.Fatalf("representation leaks credentials: %s", rec.Body)
	}
	if _, err := f.svc.Authenticate(t.Context(), "acme", "alice", "s3cret"); err != nil {
		t.Fatalf("created password: %v", err)
	}
}

func TestCreateUserErrors(t *testing.T) {
	f := newFixture(t)
	f.alice()
	tests := []struct {
		name   string
		body   any
		status int
		code   iam.Code
		field  string
	}{
		{"Duplicate", map[string]any{"username": "ALICE"}, 409, iam.CodeConflict, "username"},
		{"InvalidUsername", map[string]any{"username": "a b"}, 400, iam.CodeInvalid, "username"},
		{"LookAlikeUsername", map[string]any{"username": "\u0430dmin"}, 400, iam.CodeInvalid, "username"},
		{"ServiceAccountUsername", map[string]any{"username": "service-account-billing"}, 400, iam.CodeInvalid, "username"},
		{"NULInAttribute", map[string]any{"username": "x", "attributes": map[string]any{"k": []string{"a\x00b"}}}, 400, iam.CodeInvalid, "attributes"},
		{"UnknownField", map[string]any{"username": "x", "isAdmin": true}, 400, iam.CodeInvalid, "isAdmin"},
		{"OTPCredential", map[string]any{"username": "x", "credentials": []any{map[string]any{"type": "otp", "value": "1"}}}, 400, iam.CodeInvalid, "credentials"},
		{"UnsupportedHash", map[string]any{"username": "x", "credentials": []any{map[string]any{"type": "password",
			"secretData": `{"value":"c2VjcmV0","salt":""}`, "credentialData": `{"algorithm":"md5","hashIterations":1}`}}}, 400, iam.CodeInvalid, "credentials"},
		{"MalformedJSON", `{"username":`, 400, iam.CodeInvalid, ""},
		// The review's import: PBKDF2 with 10 million iterations.
		{"PBKDF2TenMillionIterations", map[string]any{"username": "x", "credentials": []any{map[string]any{"type": "password",
			"secretData":     `{"value":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","salt":"c2FsdA=="}`,
			"credentialData": `{"algorithm":"pbkdf2-sha512","hashIterations":10000000}`}}}, 400, iam.CodeInvalid, "credentials"},
		{"Argon2OneGiB", map[string]any{"username": "x", "credentials": []any{map[string]any{"type": "password",
			"secretData":     `{"value":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","salt":"c2FsdHNhbHQ="}`,
			"credentialData": `{"algorithm":"argon2","hashIterations":3,"additionalParameters":{"memory":["1048576"]}}`}}}, 400, iam.CodeInvalid, "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do(acmeAdmin, "POST", "/admin/realms/acme/users", tt.body), tt.status, tt.code, tt.field)
		})
	}
	t.Run("EnabledDefaultsToFalseAsInKeycloak", func(t *testing.T) {
		id := f.create(acmeAdmin, "acme", map[string]any{"username": "quiet"})
		got := decode[map[string]any](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/users/"+id, nil))
		if got["enabled"] != false {
			t.Fatalf("enabled = %v", got["enabled"])
		}
	})
}

// keycloakCredentials returns Keycloak credential representations of pw in
// every supported format, derived with the raw x/crypto primitives.
func keycloakCredentials(t *testing.T, pw string) map[string]map[string]any {
	t.Helper()
	salt := []byte("0123456789abcdef")
	b64 := base64.StdEncoding.EncodeToString
	kc26 := func(alg string, iter int, value string, params map[string][]string) map[string]any {
		secret, _ := json.Marshal(map[string]any{"value": value, "salt": b64(salt), "additionalParameters": map[string]any{}})
		data, _ := json.Marshal(map[string]any{"hashIterations": iter, "algorithm": alg, "additionalParameters": params})
		return map[string]any{"type": "password", "secretData": string(secret), "credentialData": string(data),
			"createdDate": 1700000000000, "priority": 10}
	}
	bc, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]map[string]any{
		"pbkdf2-sha256": kc26("pbkdf2-sha256", 1000, b64(pbkdf2.Key([]byte(pw), salt, 1000, 32, sha256.New)), nil),
		"pbkdf2-sha512": kc26("pbkdf2-sha512", 1000, b64(pbkdf2.Key([]byte(pw), salt, 1000, 64, sha512.New)), nil),
		"argon2": kc26("argon2", 2, b64(argon2.IDKey([]byte(pw), salt, 2, 256, 1, 32)),
			map[string][]string{"hashLength": {"32"}, "memory": {"256"}, "type": {"id"}, "version": {"1.3"}, "parallelism": {"1"}}),
		"bcrypt": {"type": "password", "secretData": `{"value":"` + string(bc) + `","salt":""}`,
			"credentialData": `{"hashIterations":4,"algorithm":"bcrypt"}`},
		"legacy-pbkdf2": {"type": "password", "algorithm": "pbkdf2", "hashIterations": 1000, "salt": b64(salt),
			"hashedSaltedValue": b64(pbkdf2.Key([]byte(pw), salt, 1000, 64, sha256.New))},
	}
}

func TestCreateWithKeycloakHashes(t *testing.T) {
	f := newFixture(t)
	for name, cred := range keycloakCredentials(t, "migrated-pw") {
		t.Run(name, func(t *testing.T) {
			if name == "legacy-pbkdf2" {
				// "pbkdf2" is HMAC-SHA1 in Keycloak: a SHA-256 key must not verify.
				f.create(acmeAdmin, "acme", map[string]any{"username": name, "enabled": true, "credentials": []any{cred}})
				if _, err := f.svc.Authenticate(t.Context(), "acme", name, "migrated-pw"); err == nil {
					t.Fatal("a SHA-256 key verified as Keycloak's pbkdf2 (SHA-1)")
				}
				return
			}
			f.create(acmeAdmin, "acme", map[string]any{"username": name, "enabled": true, "credentials": []any{cred}})
			if _, err := f.svc.Authenticate(t.Context(), "acme", name, "migrated-pw"); err != nil {
				t.Fatalf("imported %s hash: %v", name, err)
			}
			if _, err := f.svc.Authenticate(t.Context(), "acme", name, "wrong"); err == nil {
				t.Fatal("wrong password accepted")
			}
		})
	}
}

func TestSearchAndCount(t *testing.T) {
	f := newFixture(t)
	for _, u := range []map[string]any{
		{"username": "anna", "email": "anna@example.com", "firstName": "Anna", "enabled": true, "attributes": map[string]any{"dept": []string{"eng"}}},
		{"username": "annabel", "email": "bel@corp.io", "enabled": false, "attributes": map[string]any{"dept": []string{"ops"}}},
		{"username": "bob", "email": "bob@example.com", "lastName": "Annan", "enabled": true},
	} {
		f.create(acmeAdmin, "acme", u)
	}
	names := func(query string) []string {
		t.Helper()
		rec := f.do(acmeAdmin, "GET", "/admin/realms/acme/users?"+query, nil)
		wantStatus(t, rec, http.StatusOK)
		var out []string
		for _, u := range decode[[]map[string]any](t, rec) {
			out = append(out, u["username"].(string))
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"anna", "annabel", "bob"}},
		{"search=ann", []string{"anna", "annabel", "bob"}},
		{"search=%22anna%22", []string{"anna"}},
		{"search=*corp*", []string{"annabel"}},
		{"username=anna&exact=true", []string{"anna"}},
		{"username=nab", []string{"annabel"}},
		{"email=example.com", []string{"anna", "bob"}},
		{"enabled=false", []string{"annabel"}},
		{"q=dept:eng", []string{"anna"}},
		{"first=1&max=1", []string{"annabel"}},
		{"briefRepresentation=true&max=2", []string{"anna", "annabel"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := names(tt.query); !slices.Equal(got, tt.want) {
				t.Fatalf("users?%s = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
	t.Run("CountIsBareNumber", func(t *testing.T) {
		rec := f.do(acmeAdmin, "GET", "/admin/realms/acme/users/count?search=ann", nil)
		wantStatus(t, rec, http.StatusOK)
		if strings.TrimSpace(rec.Body.String()) != "3" {
			t.Fatalf("count body = %q", rec.Body)
		}
		rec = f.do(acmeAdmin, "GET", "/admin/realms/acme/users/count?enabled=true", nil)
		if strings.TrimSpace(rec.Body.String()) != "2" {
			t.Fatalf("count body = %q", rec.Body)
		}
	})
	for _, bad := range []struct{ query, field string }{
		{"enabled=maybe", "enabled"}, {"exact=nope", "exact"}, {"first=-1", "first"}, {"max=x", "max"}, {"q=nocolon", "q"},
	} {
		t.Run("Invalid_"+bad.query, func(t *testing.T) {
			wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/acme/users?"+bad.query, nil), 400, iam.CodeInvalid, bad.field)
		})
	}
}

func TestUpdateIsPartial(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	wantStatus(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/users/"+id, map[string]any{"firstName": "Al"}), http.StatusNoContent)
	got := decode[map[string]any](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/users/"+id, nil))
	if got["firstName"] != "Al" || got["email"] != "alice@example.com" || got["enabled"] != true {
		t.Fatalf("after PUT: %v", got)
	}
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/users/"+id, map[string]any{"id": "other"}), 400, iam.CodeInvalid, "id")
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/users/"+id, map[string]any{"requiredActions": []string{"X"}}), 400, iam.CodeInvalid, "requiredActions")
	wantStatus(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme/users/"+id, map[string]any{
		"credentials": []any{map[string]any{"type": "password", "value": "via-put"}}}), http.StatusNoContent)
	if _, err := f.svc.Authenticate(t.Context(), "acme", "alice", "via-put"); err != nil {
		t.Fatalf("password set through PUT: %v", err)
	}
	wantStatus(t, f.do(acmeAdmin, "DELETE", "/admin/realms/acme/users/"+id, nil), http.StatusNoContent)
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/acme/users/"+id, nil), 404, iam.CodeNotFound, "")
	wantError(t, f.do(acmeAdmin, "DELETE", "/admin/realms/acme/users/"+id, nil), 404, iam.CodeNotFound, "")
}

func TestResetPasswordAndCredentials(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	path := "/admin/realms/acme/users/" + id
	wantStatus(t, f.do(acmeAdmin, "PUT", path+"/reset-password", map[string]any{"type": "password", "value": "new-pw", "temporary": true}), http.StatusNoContent)
	u, err := f.svc.Authenticate(t.Context(), "acme", "alice", "new-pw")
	if err != nil || !slices.Contains(u.RequiredActions, "UPDATE_PASSWORD") {
		t.Fatalf("after reset: %+v, %v", u, err)
	}
	wantError(t, f.do(acmeAdmin, "PUT", path+"/reset-password", map[string]any{"type": "otp", "value": "x"}), 400, iam.CodeInvalid, "type")
	wantError(t, f.do(acmeAdmin, "PUT", path+"/reset-password", map[string]any{"value": ""}), 400, iam.CodeInvalid, "password")
	rec := f.do(acmeAdmin, "GET", path+"/credentials", nil)
	wantStatus(t, rec, http.StatusOK)
	for _, secret := range []string{"argon2", "value", "secretData", "credentialData", "hash", "salt"} {
		if strings.Contains(rec.Body.String(), secret) {
			t.Fatalf("credentials list contains %q: %s", secret, rec.Body)
		}
	}
	creds := decode[[]map[string]any](t, rec)
	if len(creds) != 1 || creds[0]["type"] != "password" || creds[0]["id"] == "" || creds[0]["createdDate"] == nil {
		t.Fatalf("credentials = %v", creds)
	}
	wantError(t, f.do(acmeAdmin, "DELETE", path+"/credentials/nope", nil), 404, iam.CodeNotFound, "")
	wantStatus(t, f.do(acmeAdmin, "DELETE", path+"/credentials/"+creds[0]["id"].(string), nil), http.StatusNoContent)
	if got := decode[[]map[string]any](t, f.do(acmeAdmin, "GET", path+"/credentials", nil)); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
}

func TestPartialImport(t *testing.T) {
	f := newFixture(t)
	f.alice()
	body := func(mode string) map[string]any {
		return map[string]any{"ifResourceExists": mode, "users": []any{
			map[string]any{"username": "alice", "enabled": true, "firstName": "Imported"},
			map[string]any{"id": "0b3f5b2a-8c1e-4d5f-9a6b-7c8d9e0f1a2b", "username": "bob", "enabled": true,
				"credentials": []any{keycloakCredentials(t, "bob-pw")["pbkdf2-sha256"]}, "realmRoles": []string{"user"}},
		}}
	}
	wantError(t, f.importUsers(acmeAdmin, "acme", body("FAIL")), 409, iam.CodeConflict, "username")
	rec := f.importUsers(acmeAdmin, "acme", body("SKIP"))
	wantStatus(t, rec, http.StatusOK)
	res := decode[usershttp.PartialImportResults](t, rec)
	if res.Added != 1 || res.Skipped != 1 || res.Overwritten != 0 || len(res.Results) != 2 ||
		res.Results[0].Action != "SKIPPED" || res.Results[1].Action != "ADDED" || res.Results[1].ResourceType != "USER" ||
		res.Results[1].ID != "0b3f5b2a-8c1e-4d5f-9a6b-7c8d9e0f1a2b" || res.Results[1].ResourceName != "bob" {
		t.Fatalf("results = %+v", res)
	}
	if _, err := f.svc.Authenticate(t.Context(), "acme", "bob", "bob-pw"); err != nil {
		t.Fatalf("imported bob: %v", err)
	}
	res = decode[usershttp.PartialImportResults](t, f.importUsers(acmeAdmin, "acme", body("OVERWRITE")))
	if res.Overwritten != 2 || res.Added != 0 {
		t.Fatalf("overwrite results = %+v", res)
	}
	wantError(t, f.importUsers(acmeAdmin, "acme", map[string]any{"users": []any{}, "clients": []any{map[string]any{"clientId": "x"}}}), 400, iam.CodeInvalid, "clients")
	wantError(t, f.importUsers(acmeAdmin, "acme", map[string]any{"ifResourceExists": "MERGE", "users": []any{}}), 400, iam.CodeInvalid, "ifResourceExists")
	wantError(t, f.importUsers(acmeAdmin, "acme", map[string]any{"users": []any{
		map[string]any{"username": "ok"}, map[string]any{"username": "bad", "email": "nope"}}}), 400, iam.CodeInvalid, "users[1].email")
}

func TestAdminAuthorization(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	wantError(t, f.do(nil, "GET", "/admin/realms/acme/users", nil), 401, iam.CodeUnauthenticated, "")
	wantError(t, f.do(acmeUser, "GET", "/admin/realms/acme/users/"+id, nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(otherAdmin, "GET", "/admin/realms/acme/users/"+id, nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(masterAdmin, "GET", "/admin/realms/Bad_Realm/users", nil), 400, iam.CodeInvalid, "realm")
	wantError(t, f.do(masterAdmin, "GET", "/admin/realms/missing/users", nil), 404, iam.CodeNotFound, "")
}

// The internal import route is the realm service's: it needs the service
// token and, behind it, an administrator of the realm (the caller whose
// token the realm service forwards).
func TestInternalImportIsGuarded(t *testing.T) {
	f := newFixture(t)
	body := map[string]any{"users": []any{map[string]any{"username": "zoe", "enabled": true}}}
	wantError(t, f.importUsers(nil, "acme", body), 401, iam.CodeUnauthenticated, "")
	wantError(t, f.importUsers(otherAdmin, "acme", body), 403, iam.CodeForbidden, "")
	wantError(t, f.importUsers(acmeUser, "acme", body), 403, iam.CodeForbidden, "")
	raw, _ := json.Marshal(body)
	r := httptest.NewRequest(http.MethodPost, "/internal/realms/acme/users/import", bytes.NewReader(raw))
	r = r.WithContext(iam.WithPrincipal(r.Context(), acmeAdmin))
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	wantStatus(t, rec, http.StatusForbidden) // no service token
}

// Client.ImportUsers runs the import remotely for the caller whose token
// its context carries: the token travels, the service authorizes it.
func TestClientImportUsersForwardsTheCallersToken(t *testing.T) {
	f := newFixture(t)
	tokens := map[string]*iam.Principal{"acme-admin-token": acmeAdmin, "other-admin-token": otherAdmin}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; p != nil {
			r = r.WithContext(iam.WithPrincipal(r.Context(), p))
		}
		f.h.ServeHTTP(w, r)
	})
	c := usershttp.NewClient("http://users.invalid", serviceToken, usershttp.WithHTTPClient(&http.Client{Transport: handlerTransport{h}}))
	call := func(token string) (usershttp.ImportResults, error) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		ctx := iamhttp.WithCallerToken(t.Context(), r)
		return c.ImportUsers(ctx, "acme", usershttp.ImportRequest{Users: []json.RawMessage{json.RawMessage(`{"username":"yan","enabled":true}`)}})
	}
	if _, err := call("other-admin-token"); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("another realm's administrator: %v", err)
	}
	res, err := call("acme-admin-token")
	if err != nil || res.Added != 1 || res.Results[0].ResourceName != "yan" {
		t.Fatalf("ImportUsers = %+v, %v", res, err)
	}
}
