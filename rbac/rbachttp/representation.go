package rbachttp

import (
	"encoding/json"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/rbac"
)

// RoleRepresentation is Keycloak's RoleRepresentation. On input every field
// is optional: POST needs name; PUT changes only the fields present (name,
// description, attributes); POST/DELETE of composites and role mappings
// identify each role by id, or by name (with clientRole/containerId for a
// client role among composites). Composite and composites are computed on
// output; composites is honoured on create. Keycloak's other fields
// (scopeParamRequired) are kept verbatim in Extra (rbac.Role.Extra) and
// marshalled with the rest.
type RoleRepresentation struct {
	ID          string              `json:"id,omitempty"`
	Name        string              `json:"name,omitempty"`
	Description *string             `json:"description,omitempty"`
	Composite   bool                `json:"composite"`
	ClientRole  bool                `json:"clientRole"`
	ContainerID string              `json:"containerId,omitempty"`
	Attributes  map[string][]string `json:"attributes,omitempty"`
	Composites  *RoleComposites     `json:"composites,omitempty"`
	// Extra holds Keycloak's fields this struct does not have, read by
	// decodeRole and written by MarshalJSON.
	Extra iam.Extra `json:"-"`
}

// MarshalJSON writes the representation with the fields of Extra.
func (r RoleRepresentation) MarshalJSON() ([]byte, error) {
	type plain RoleRepresentation
	return json.Marshal(iamhttp.WithExtra(plain(r), r.Extra))
}

// isRoleField reports whether f is a field of Keycloak's RoleRepresentation.
func isRoleField(f string) bool { return kcrep.Has(kcrep.Role, f) }

// decodeRole reads a RoleRepresentation as Keycloak does
// (iamhttp.DecodeRepresentation over kcrep's role fields): Keycloak's
// string scalars coerced, its other fields in Extra, any other field
// refused naming it.
func decodeRole(w http.ResponseWriter, r *http.Request) (RoleRepresentation, error) {
	var rep RoleRepresentation
	extra, err := iamhttp.DecodeRepresentation(w, r, &rep, isRoleField)
	rep.Extra = extra
	return rep, err
}

// ParseRole reads one RoleRepresentation of a larger body (the roles of a
// realm import) as the admin API reads a role.
func ParseRole(raw json.RawMessage) (RoleRepresentation, error) {
	var rep RoleRepresentation
	extra, err := iamhttp.ParseRepresentation(raw, &rep, isRoleField)
	rep.Extra = extra
	return rep, err
}

// RoleComposites names the roles a role contains: realm roles by name and
// client roles by clientId then name.
type RoleComposites struct {
	Realm  []string            `json:"realm,omitempty"`
	Client map[string][]string `json:"client,omitempty"`
}

// MappingsRepresentation is Keycloak's MappingsRepresentation, the answer of
// GET .../users/{id}/role-mappings.
type MappingsRepresentation struct {
	RealmMappings  []RoleRepresentation                    `json:"realmMappings,omitempty"`
	ClientMappings map[string]ClientMappingsRepresentation `json:"clientMappings,omitempty"`
}

// ClientMappingsRepresentation holds one client's mapped roles: id is the
// client UUID, client its clientId.
type ClientMappingsRepresentation struct {
	ID       string               `json:"id"`
	Client   string               `json:"client"`
	Mappings []RoleRepresentation `json:"mappings"`
}

// EffectiveRolesRepresentation is the answer of the internal GET
// /internal/realms/{realm}/users/{id}/effective-roles: the role names auth
// puts in the realm_access and resource_access claims.
type EffectiveRolesRepresentation struct {
	RealmRoles  []string            `json:"realmRoles"`
	ClientRoles map[string][]string `json:"clientRoles"`
}

// UserRef is the (minimal) UserRepresentation of GET .../roles/{name}/users:
// rbac does not own users, it knows only their ids.
type UserRef struct {
	ID string `json:"id"`
}

// toRepresentation converts a role for output.
func toRepresentation(r rbac.Role) RoleRepresentation {
	rep := RoleRepresentation{
		ID:          r.ID,
		Name:        r.Name,
		Composite:   r.Composite,
		ClientRole:  r.IsClientRole(),
		ContainerID: r.ContainerID(),
		Attributes:  r.Clone().Attributes,
		Extra:       r.Extra,
	}
	if r.Description != "" {
		d := r.Description
		rep.Description = &d
	}
	if rep.Attributes == nil {
		rep.Attributes = map[string][]string{}
	}
	return rep
}

// toRepresentations converts roles for output (never nil, so the JSON is an
// array).
func toRepresentations(roles []rbac.Role) []RoleRepresentation {
	out := make([]RoleRepresentation, len(roles))
	for i, r := range roles {
		out[i] = toRepresentation(r)
	}
	return out
}
