package realmshttp

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
)

// decodeRealm reads a RealmRepresentation as Keycloak does
// (iamhttp.DecodeRepresentation over kcrep's realm fields): the fields of
// RealmRepresentation are decoded (Keycloak's string scalars coerced), the
// other fields of Keycloak's are returned to be stored verbatim, except
// those heldElsewhere, and any other field is refused naming it.
func decodeRealm(w http.ResponseWriter, r *http.Request) (RealmRepresentation, iam.Extra, error) {
	var rep RealmRepresentation
	extra, err := iamhttp.DecodeRepresentation(w, r, &rep, isRealmField)
	if err != nil {
		return rep, nil, err
	}
	return keepable(rep, extra)
}

// parseRealm is decodeRealm for a representation already read.
func parseRealm(raw json.RawMessage) (RealmRepresentation, iam.Extra, error) {
	var rep RealmRepresentation
	extra, err := iamhttp.ParseRepresentation(raw, &rep, isRealmField)
	if err != nil {
		return rep, nil, err
	}
	return keepable(rep, extra)
}

func isRealmField(f string) bool { return kcrep.Has(kcrep.Realm, f) }

// keepable refuses the fields heldElsewhere holding something, drops them
// empty, and returns the rest of extra to be kept.
func keepable(rep RealmRepresentation, extra iam.Extra) (RealmRepresentation, iam.Extra, error) {
	for f, v := range extra {
		if !heldElsewhere(f) {
			continue
		}
		if !emptyJSON(v) {
			return rep, nil, iam.Invalidf(f, "field %q holds resources or secrets a realm representation does not take: create them through their own admin APIs", f)
		}
		delete(extra, f)
	}
	if len(extra) == 0 {
		extra = nil
	}
	return rep, extra, nil
}

// heldElsewhere reports whether field f of Keycloak's RealmRepresentation
// is never kept verbatim with the realm: the realm's users, clients, roles
// and groups (owned by their services, which enforce them), and settings
// that hold secrets Keycloak masks (identity providers' client secrets,
// components' and user federation's credentials and keys). An empty value
// ([] or {}) of one is accepted and dropped, as Keycloak's own exports
// send them.
func heldElsewhere(f string) bool {
	switch f {
	case "users", "federatedUsers", "clients", "roles", "groups", "defaultRole", "defaultRoles", "defaultGroups",
		"scopeMappings", "clientScopeMappings",
		"identityProviders", "identityProviderMappers", "components", "userFederationProviders", "userFederationMappers":
		return true
	}
	return false
}

// emptyJSON reports whether v is [], {} or "".
func emptyJSON(v json.RawMessage) bool {
	switch strings.Join(strings.Fields(string(v)), "") {
	case "[]", "{}", `""`:
		return true
	}
	return false
}
