package usershttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/internal/kcrep/kcreptest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/userstest"
)

// lenientFixtures are newFixture over each store: the lenient
// representation is stored by the store, so each must keep it.
func lenientFixtures() map[string]func(*testing.T) *fixture {
	return map[string]func(*testing.T) *fixture{
		"Memory": newFixture,
		"PostgreSQL": func(t *testing.T) *fixture {
			pool := iamtest.Postgres(t)
			if err := userspg.Migrate(context.Background(), pool); err != nil {
				t.Fatal(err)
			}
			f := newFixture(t)
			rs := userstest.NewRealms(userstest.Realm(iam.MasterRealm), userstest.Realm("acme"), userstest.Realm("other"))
			f.svc = users.New(userspg.New(pool), rs, users.WithParams(userstest.FastParams))
			f.h = usershttp.NewHandler(f.svc, usershttp.WithServiceToken(serviceToken))
			return f
		},
	}
}

func getJSON(t *testing.T, f *fixture, path string) map[string]any {
	t.Helper()
	rec := f.do(acmeAdmin, http.MethodGet, path, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every field of Keycloak's UserRepresentation OpenGate does not implement,
// sent in the POST, comes back from GET (one user, and the list) as sent; a
// PUT changes only what it sends.
func TestUnimplementedUserFieldsRoundTrip(t *testing.T) {
	for name, newFixture := range lenientFixtures() {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			sent := kcreptest.Sample(kcrep.User, kcreptest.Implemented(usershttp.UserRepresentation{}))
			if len(sent) < 5 {
				t.Fatalf("only %d unimplemented fields sampled", len(sent))
			}
			body := map[string]any{"username": "carol", "enabled": true}
			for k, v := range sent {
				body[k] = v
			}
			id := f.create(acmeAdmin, "acme", body)
			path := "/admin/realms/acme/users/" + id
			got := getJSON(t, f, path)
			for k, v := range sent {
				if !reflect.DeepEqual(got[k], asJSON(t, v)) {
					t.Errorf("%s = %v after POST, want %v", k, got[k], v)
				}
			}
			put := map[string]any{"notBefore": 0, "federationLink": "ldap-2"}
			if rec := f.do(acmeAdmin, http.MethodPut, path, put); rec.Code != http.StatusNoContent {
				t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
			}
			got = getJSON(t, f, path)
			for k, v := range sent {
				if w, ok := put[k]; ok {
					v = w
				}
				if !reflect.DeepEqual(got[k], asJSON(t, v)) {
					t.Errorf("%s = %v after PUT, want %v", k, got[k], v)
				}
			}
			rec := f.do(acmeAdmin, http.MethodGet, "/admin/realms/acme/users?username=carol&exact=true", nil)
			var list []map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) != 1 {
				t.Fatalf("list = %s (%v)", rec.Body, err)
			}
			if got := list[0]["federationLink"]; got != "ldap-2" {
				t.Errorf("federationLink in the list = %v", got)
			}
		})
	}
}

// Memberships and what Keycloak computes on read are accepted and never
// stored with the user.
func TestUserMembershipsAndComputedFieldsAreNotKept(t *testing.T) {
	f := newFixture(t)
	id := f.create(acmeAdmin, "acme", map[string]any{"username": "dave", "enabled": true,
		"realmRoles": []string{"user"}, "clientRoles": map[string]any{"app": []string{"viewer"}}, "groups": []string{"/staff"},
		"totp": true, "origin": "ldap", "access": map[string]bool{"manage": true}, "disableableCredentialTypes": []string{},
		"userProfileMetadata": map[string]any{}})
	got := getJSON(t, f, "/admin/realms/acme/users/"+id)
	for _, k := range []string{"realmRoles", "clientRoles", "groups", "totp", "origin", "access", "disableableCredentialTypes", "userProfileMetadata"} {
		if v, ok := got[k]; ok {
			t.Errorf("%s = %v, want none", k, v)
		}
	}
}

// Keycloak's JSON mapper reads "true" as true; so does OpenGate, for the
// fields it implements.
func TestUserScalarsAreCoercedAsKeycloakDoes(t *testing.T) {
	for name, newFixture := range lenientFixtures() {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			id := f.create(acmeAdmin, "acme", map[string]any{"username": "erin", "enabled": "true", "emailVerified": "false",
				"createdTimestamp": "1700000000000", "attributes": map[string]any{"level": []any{3}}})
			u, err := f.svc.Get(context.Background(), "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			if !u.Enabled || u.EmailVerified || u.CreatedAt.UnixMilli() != 1700000000000 || u.Attributes["level"][0] != "3" {
				t.Errorf("user = %+v", u)
			}
		})
	}
}

func TestLenientUserRefusals(t *testing.T) {
	for _, c := range []struct {
		name, method, body, field string
	}{
		{"TypoIsNamed", http.MethodPost, `{"username":"x","firstname":"X"}`, "firstname"},
		{"UncoercibleScalar", http.MethodPost, `{"username":"x","enabled":"sometimes"}`, "enabled"},
		{"CaseMatters", http.MethodPost, `{"username":"x","Email":"x@example.com"}`, "Email"},
		{"TypoInAnUpdate", http.MethodPut, `{"lastname":"Y"}`, "lastname"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			path := "/admin/realms/acme/users"
			if c.method == http.MethodPut {
				path += "/" + f.alice()
			}
			rec := f.do(acmeAdmin, c.method, path, c.body)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d %s, want 400", rec.Code, rec.Body)
			}
			var e struct {
				Error string `json:"error"`
				Field string `json:"field"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &e)
			if e.Error != string(iam.CodeInvalid) || e.Field != c.field {
				t.Errorf("error %+v, want invalid naming %q", e, c.field)
			}
		})
	}
}

// A partialImport reads each user as the admin API does: Keycloak's
// fields kept, a typo refused naming the user.
func TestPartialImportUsersAreLenient(t *testing.T) {
	f := newFixture(t)
	rec := f.importUsers(acmeAdmin, "acme", `{"ifResourceExists":"FAIL","users":[
		{"username":"frank","enabled":"true","notBefore":7},
		{"username":"service-account-app","serviceAccountClientId":"app","enabled":true}]}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("partialImport = %d %s", rec.Code, rec.Body)
	}
	var res usershttp.PartialImportResults
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.Added != 1 || len(res.Results) != 1 {
		t.Fatalf("results %+v (%v): the service account is not a user", res, err)
	}
	u, err := f.svc.GetByUsername(context.Background(), "acme", "frank")
	if err != nil || !u.Enabled || string(u.Extra["notBefore"]) != "7" {
		t.Fatalf("frank = %+v, %v", u, err)
	}
	rec = f.importUsers(acmeAdmin, "acme", `{"users":[{"username":"g"},{"username":"h","emial":"h@example.com"}]}`)
	var e struct {
		Field string `json:"field"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != http.StatusBadRequest || e.Field != "users[1].emial" {
		t.Fatalf("typo = %d %s, want 400 naming users[1].emial", rec.Code, rec.Body)
	}
}
