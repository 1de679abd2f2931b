package clientshttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/internal/kcrep/kcreptest"
)

// lenientFixtures are newFixture over each store: the lenient
// representation is stored by the store, so each must keep it.
func lenientFixtures() map[string]func(*testing.T) *fixture {
	over := func(t *testing.T, s clients.Store) *fixture {
		svc := clients.New(s)
		return &fixture{t: t, svc: svc, h: clientshttp.NewHandler(svc, clientshttp.WithServiceToken(serviceToken))}
	}
	return map[string]func(*testing.T) *fixture{
		"Memory": func(t *testing.T) *fixture { return over(t, clientsmem.New(nil)) },
		"PostgreSQL": func(t *testing.T) *fixture {
			pool := iamtest.Postgres(t)
			if err := clientspg.Migrate(context.Background(), pool); err != nil {
				t.Fatal(err)
			}
			sealer, err := iamcrypto.NewSealer(iamcrypto.GenerateKey())
			if err != nil {
				t.Fatal(err)
			}
			s, err := clientspg.New(pool, sealer)
			if err != nil {
				t.Fatal(err)
			}
			return over(t, s)
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

// Every field of Keycloak's ClientRepresentation OpenGate does not
// implement, sent in the POST, comes back from GET as sent; a PUT changes
// only what it sends.
func TestUnimplementedClientFieldsRoundTrip(t *testing.T) {
	for name, newFixture := range lenientFixtures() {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			sent := kcreptest.Sample(kcrep.Client, kcreptest.Implemented(clientshttp.ClientRepresentation{}, "registrationAccessToken"))
			if len(sent) < 15 {
				t.Fatalf("only %d unimplemented fields sampled", len(sent))
			}
			body := map[string]any{"clientId": "web", "publicClient": true, "redirectUris": []string{"https://app.test/cb"}}
			for k, v := range sent {
				body[k] = v
			}
			id := f.create(acmeAdmin, "acme", body)
			path := "/admin/realms/acme/clients/" + id
			got := getJSON(t, f, path)
			for k, v := range sent {
				if !reflect.DeepEqual(got[k], asJSON(t, v)) {
					t.Errorf("%s = %v after POST, want %v", k, got[k], v)
				}
			}
			put := map[string]any{"consentRequired": false, "frontchannelLogout": true}
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
		})
	}
}

// Keycloak's JSON mapper reads "false" as false; so does OpenGate, for the
// fields it implements.
func TestClientScalarsAreCoercedAsKeycloakDoes(t *testing.T) {
	for name, newFixture := range lenientFixtures() {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			id := f.create(acmeAdmin, "acme", map[string]any{"clientId": "svc", "publicClient": "false",
				"serviceAccountsEnabled": "true", "standardFlowEnabled": "false", "fullScopeAllowed": "false"})
			c, err := f.svc.Get(context.Background(), "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			if c.PublicClient || !c.ServiceAccountsEnabled || c.StandardFlowEnabled || c.FullScopeAllowed() {
				t.Errorf("client = %+v", c)
			}
			// fullScopeAllowed is implemented: read back as a boolean.
			if got := getJSON(t, f, "/admin/realms/acme/clients/"+id)["fullScopeAllowed"]; got != false {
				t.Errorf("fullScopeAllowed = %#v, want false", got)
			}
		})
	}
}

func TestLenientClientRefusals(t *testing.T) {
	for _, c := range []struct {
		name, body, field string
	}{
		{"TypoIsNamed", `{"clientId":"x","fullScopeAlowed":false}`, "fullScopeAlowed"},
		{"UncoercibleScalar", `{"clientId":"x","publicClient":"sometimes"}`, "publicClient"},
		{"CaseMatters", `{"clientId":"x","ClientId":"y"}`, "ClientId"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(acmeAdmin, http.MethodPost, "/admin/realms/acme/clients", c.body)
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

func TestRegistrationAccessTokenIsNotTakenFromARequest(t *testing.T) {
	f := newFixture(t)
	id := f.create(acmeAdmin, "acme", map[string]any{"clientId": "x", "registrationAccessToken": "eyJ.forged"})
	if got, ok := getJSON(t, f, "/admin/realms/acme/clients/"+id)["registrationAccessToken"]; ok {
		t.Errorf("registrationAccessToken = %v, want none", got)
	}
}
