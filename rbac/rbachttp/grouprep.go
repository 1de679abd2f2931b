package rbachttp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/rbac"
)

// GroupRepresentation is Keycloak's GroupRepresentation as OpenGate answers
// it. Brief representations (Keycloak's briefRepresentation=true) have no
// attributes, realmRoles nor clientRoles; subGroupCount is set where
// Keycloak sets it (group lists, a group, its children); subGroups is
// filled only where Keycloak fills it (a search's hierarchy,
// group-by-path), and [] elsewhere. The fields of Keycloak's
// representation OpenGate does not implement (access) are returned as they
// were stored.
type GroupRepresentation struct {
	ID            string                `json:"id"`
	Name          string                `json:"name"`
	Description   string                `json:"description,omitempty"`
	Path          string                `json:"path"`
	ParentID      string                `json:"parentId,omitempty"`
	SubGroupCount *int                  `json:"subGroupCount,omitempty"`
	SubGroups     []GroupRepresentation `json:"subGroups"`
	Attributes    *map[string][]string  `json:"attributes,omitempty"`
	RealmRoles    *[]string             `json:"realmRoles,omitempty"`
	ClientRoles   *map[string][]string  `json:"clientRoles,omitempty"`

	extra iam.Extra // returned verbatim
}

// MarshalJSON adds the stored fields OpenGate does not implement.
func (g GroupRepresentation) MarshalJSON() ([]byte, error) {
	type plain GroupRepresentation // without this method
	return json.Marshal(iamhttp.WithExtra(plain(g), g.extra))
}

// groupInput is a GroupRepresentation as a caller sends it (POST, PUT): the
// fields Keycloak's admin API reads are name, description and attributes
// (and id, naming a group to move on POST); path, parentId, subGroupCount,
// subGroups, realmRoles and clientRoles are read-only there and ignored,
// as Keycloak ignores them (a realm import reads the last three). Keycloak's
// other fields are stored verbatim.
type groupInput struct {
	ID            string               `json:"id"`
	Name          *string              `json:"name"`
	Description   *string              `json:"description"`
	Attributes    *map[string][]string `json:"attributes"`
	Path          json.RawMessage      `json:"path"`
	ParentID      json.RawMessage      `json:"parentId"`
	SubGroupCount json.RawMessage      `json:"subGroupCount"`
	SubGroups     json.RawMessage      `json:"subGroups"`
	RealmRoles    json.RawMessage      `json:"realmRoles"`
	ClientRoles   json.RawMessage      `json:"clientRoles"`
}

// decodeGroup reads a GroupRepresentation leniently, as Keycloak does
// (iamhttp.DecodeRepresentation over kcrep's group fields): a field in none
// of Keycloak's is refused naming it.
func decodeGroup(w http.ResponseWriter, r *http.Request) (groupInput, iam.Extra, error) {
	var in groupInput
	extra, err := iamhttp.DecodeRepresentation(w, r, &in, func(f string) bool { return kcrep.Has(kcrep.Group, f) })
	return in, extra, err
}

// groupView says how much of a group to render.
type groupView struct {
	full     bool // attributes, realmRoles, clientRoles
	subCount bool // subGroupCount
}

// groupJSON renders g; a full view reads the roles mapped to it.
func (h *Handler) groupJSON(ctx context.Context, realm iam.Realm, g rbac.Group, v groupView) (GroupRepresentation, error) {
	rep := GroupRepresentation{ID: g.ID, Name: g.Name, Description: g.Description, Path: g.Path,
		ParentID: g.ParentID, SubGroups: []GroupRepresentation{}, extra: g.Extra}
	if v.subCount {
		n := g.SubGroupCount
		rep.SubGroupCount = &n
	}
	if !v.full {
		return rep, nil
	}
	attrs := rbac.Group{Attributes: g.Attributes}.Clone().Attributes
	if attrs == nil {
		attrs = map[string][]string{}
	}
	rep.Attributes = &attrs
	roles, err := h.svc.GroupRoles(ctx, realm, g.ID)
	if err != nil {
		return GroupRepresentation{}, err
	}
	realmRoles, clientRoles := []string{}, map[string][]string{}
	for _, role := range roles {
		if !role.IsClientRole() {
			realmRoles = append(realmRoles, role.Name)
			continue
		}
		clientRoles[role.ClientID] = append(clientRoles[role.ClientID], role.Name)
	}
	rep.RealmRoles, rep.ClientRoles = &realmRoles, &clientRoles
	return rep, nil
}

// groupsJSON renders groups (never nil, so the JSON is an array).
func (h *Handler) groupsJSON(ctx context.Context, realm iam.Realm, groups []rbac.Group, v groupView) ([]GroupRepresentation, error) {
	out := make([]GroupRepresentation, 0, len(groups))
	for _, g := range groups {
		rep, err := h.groupJSON(ctx, realm, g, v)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

// attributeQuery parses Keycloak's q parameter: space-separated name:value
// pairs, each matched exactly.
func attributeQuery(r *http.Request) (map[string]string, error) {
	s := r.URL.Query().Get("q")
	if s == "" {
		return nil, nil
	}
	attrs := map[string]string{}
	for _, pair := range strings.Fields(s) {
		k, v, ok := strings.Cut(pair, ":")
		if !ok || k == "" {
			return nil, iam.Invalidf("q", "q must be space-separated name:value pairs")
		}
		attrs[k] = v
	}
	return attrs, nil
}

// boolParam reads an optional boolean query parameter, def when absent.
func boolParam(r *http.Request, name string, def bool) (bool, error) {
	b, err := iamhttp.Bool(r, name)
	if err != nil || b == nil {
		return def, err
	}
	return *b, nil
}

// CountRepresentation is the answer of the group counts: {"count": n}.
type CountRepresentation struct {
	Count int `json:"count"`
}
