package realmshttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/internal/kcrep/kcreptest"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/realms/realmspg"
)

// lenientFixtures are newFixture over each store: the lenient representation
// is stored by the store, so each must keep it.
func lenientFixtures(t *testing.T) map[string]func(*testing.T) *fixture {
	return map[string]func(*testing.T) *fixture{
		"Memory": func(t *testing.T) *fixture { return fixtureOver(t, realmsmem.New(nil)) },
		"PostgreSQL": func(t *testing.T) *fixture {
			pool := iamtest.Postgres(t)
			if err := realmspg.Migrate(context.Background(), pool); err != nil {
				t.Fatal(err)
			}
			sealer, err := iamcrypto.NewSealer(iamcrypto.GenerateKey())
			if err != nil {
				t.Fatal(err)
			}
			s, err := realmspg.New(pool, sealer)
			if err != nil {
				t.Fatal(err)
			}
			return fixtureOver(t, s)
		},
	}
}

func fixtureOver(t *testing.T, store realms.Store) *fixture {
	t.Helper()
	svc := realms.New(store)
	if _, err := svc.EnsureMaster(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(context.Background(), realms.Realm{Name: "acme", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, svc: svc, h: realmshttp.NewHandler(svc, realmshttp.WithServiceToken(serviceToken))}
}

// implemented are the fields RealmRepresentation has, and those a realm
// representation does not keep (users, clients, …).
func implemented(t *testing.T) func(string) bool {
	fields := map[string]bool{}
	ty := reflect.TypeOf(realmshttp.RealmRepresentation{})
	for i := range ty.NumField() {
		name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
		fields[name] = true
	}
	for _, f := range []string{"users", "federatedUsers", "clients", "roles", "groups", "defaultRole", "defaultRoles", "defaultGroups",
		"scopeMappings", "clientScopeMappings", "identityProviders", "identityProviderMappers", "components",
		"userFederationProviders", "userFederationMappers"} {
		fields[f] = true
	}
	if len(fields) < 30 {
		t.Fatalf("only %d fields read from RealmRepresentation", len(fields))
	}
	return func(f string) bool { return fields[f] }
}

// Every field of Keycloak's RealmRepresentation OpenGate does not implement
// comes back from the GET after a PUT as it was sent, and a second PUT
// changes only what it sends.
func TestUnimplementedRealmFieldsRoundTrip(t *testing.T) {
	for name, newFixture := range lenientFixtures(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			sent := kcreptest.Sample(kcrep.Realm, implemented(t))
			if len(sent) < 50 {
				t.Fatalf("only %d unimplemented fields sampled", len(sent))
			}
			if rec := f.do(masterAdmin, http.MethodPut, "/admin/realms/acme", sent); rec.Code != http.StatusNoContent {
				t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
			}
			got := f.rep(masterAdmin, "acme")
			for k, v := range sent {
				if !reflect.DeepEqual(got[k], roundTrip(t, v)) {
					t.Errorf("%s = %v after PUT, want %v", k, got[k], v)
				}
			}
			second := map[string]any{"sslRequired": "all", "eventsListeners": []any{"email"}}
			if rec := f.do(masterAdmin, http.MethodPut, "/admin/realms/acme", second); rec.Code != http.StatusNoContent {
				t.Fatalf("second PUT = %d %s", rec.Code, rec.Body)
			}
			got = f.rep(masterAdmin, "acme")
			for k, v := range sent {
				if w, ok := second[k]; ok {
					v = w
				}
				if !reflect.DeepEqual(got[k], roundTrip(t, v)) {
					t.Errorf("%s = %v after the second PUT, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestCreateRealmKeepsUnimplementedFields(t *testing.T) {
	for name, newFixture := range lenientFixtures(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(masterAdmin, http.MethodPost, "/admin/realms", map[string]any{
				"realm": "beta", "enabled": true, "sslRequired": "none", "users": []any{}, "clients": []any{},
				"browserSecurityHeaders": map[string]any{"xFrameOptions": "SAMEORIGIN"},
			})
			if rec.Code != http.StatusCreated {
				t.Fatalf("POST = %d %s", rec.Code, rec.Body)
			}
			got := f.rep(masterAdmin, "beta")
			if got["sslRequired"] != "none" || !reflect.DeepEqual(got["browserSecurityHeaders"], map[string]any{"xFrameOptions": "SAMEORIGIN"}) {
				t.Errorf("created realm = %v", got)
			}
			if _, ok := got["users"]; ok {
				t.Errorf("empty users kept with the realm: %v", got["users"])
			}
		})
	}
}

// Keycloak's JSON mapper reads "false" as false and "600" as 600; so does
// OpenGate, for the fields it implements.
func TestRealmScalarsAreCoercedAsKeycloakDoes(t *testing.T) {
	for name, newFixture := range lenientFixtures(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(masterAdmin, http.MethodPut, "/admin/realms/acme", `{"bruteForceProtected":"true","failureFactor":"7",
				"accessTokenLifespan":"600","registrationAllowed":"false","enabled":"true",
				"smtpServer":{"host":"mail.test","port":3025,"from":"a@mail.test","ssl":false,"starttls":"true"}}`)
			if rec.Code != http.StatusNoContent {
				t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
			}
			r, err := f.svc.Get(context.Background(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			if !r.BruteForce.Enabled || r.BruteForce.FailureFactor != 7 || r.AccessTokenLifespan.Seconds() != 600 || r.RegistrationAllowed {
				t.Errorf("realm = %+v", r)
			}
			if r.SMTP.Port != 3025 || r.SMTP.SSL || !r.SMTP.StartTLS {
				t.Errorf("smtp = %+v", r.SMTP)
			}
			if len(r.Extra) != 0 {
				t.Errorf("implemented fields kept as extra: %v", r.Extra)
			}
		})
	}
}

func TestLenientRealmRefusals(t *testing.T) {
	for _, c := range []struct {
		name, body, field string
	}{
		{"TypoIsNamed", `{"sslRequried":"none"}`, "sslRequried"},
		{"NotAKeycloakField", `{"mfaPolicyy":"off"}`, "mfaPolicyy"},
		{"UncoercibleScalar", `{"failureFactor":"seven"}`, "failureFactor"},
		{"UsersAreNotTakenByTheRealm", `{"users":[{"username":"x","credentials":[{"value":"secret"}]}]}`, "users"},
		{"IdentityProviderSecretsAreNotKept", `{"identityProviders":[{"alias":"g","config":{"clientSecret":"s"}}]}`, "identityProviders"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(masterAdmin, http.MethodPut, "/admin/realms/acme", c.body)
			wantError(t, rec, http.StatusBadRequest, iam.CodeInvalid, c.field)
			if r, _ := f.svc.Get(context.Background(), "acme"); len(r.Extra) != 0 {
				t.Errorf("a refused PUT stored %v", r.Extra)
			}
		})
	}
}

// roundTrip returns v as it reads back from JSON (numbers as float64).
func roundTrip(t *testing.T, v any) any {
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
