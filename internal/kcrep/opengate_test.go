package kcrep_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// jsonFields returns the JSON names of v's fields (embedded structs
// flattened, "-" skipped).
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// Every field OpenGate's admin representations read or write is a field
// of Keycloak's, or one of the few OpenGate extensions listed here (and in
// docs/keycloak.md): a renamed or misspelt field fails here.
func TestOpenGateRepresentationsUseKeycloakFields(t *testing.T) {
	for _, c := range []struct {
		rep        kcrep.Representation
		v          any
		extensions []string
	}{
		// OpenGate's realm settings (docs/realms.md).
		{kcrep.Realm, realmshttp.RealmRepresentation{}, []string{"realmId", "mfaPolicy", "signingAlgorithm", "corsOrigins"}},
		{kcrep.Client, clientshttp.ClientRepresentation{}, nil},
		// origin is in Keycloak's Java UserRepresentation, not in the
		// admin client's TypeScript one.
		{kcrep.User, usershttp.UserRepresentation{}, []string{"origin"}},
		{kcrep.Role, rbachttp.RoleRepresentation{}, nil},
		{kcrep.Group, rbachttp.GroupRepresentation{}, nil},
	} {
		for _, f := range jsonFields(reflect.TypeOf(c.v)) {
			if !kcrep.Has(c.rep, f) && !slices.Contains(c.extensions, f) {
				t.Errorf("%T has %q, which is not a field of Keycloak's %s", c.v, f, c.rep)
			}
		}
	}
}
