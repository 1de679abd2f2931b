package rbachttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// AssignRequest is the body of POST
// /internal/realms/{realm}/users/{id}/realm-roles: realm role names.
type AssignRequest struct {
	Roles []string `json:"roles"`
}

// internalEffective answers the effective role names of {id}
// (EffectiveRolesRepresentation).
func (h *Handler) internalEffective(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	realmRoles, clientRoles, err := h.svc.EffectiveRoles(r.Context(), realm, param(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, EffectiveRolesRepresentation{RealmRoles: realmRoles, ClientRoles: clientRoles})
}

// internalScope answers the role names within the scope of client {id}
// (ScopeRoleNames, as an EffectiveRolesRepresentation).
func (h *Handler) internalScope(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	realmRoles, clientRoles, err := h.svc.ScopeRoleNames(r.Context(), realm, param(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, EffectiveRolesRepresentation{RealmRoles: realmRoles, ClientRoles: clientRoles})
}

// internalAssign maps realm roles, by name, to {id} (AssignRealmRoles).
func (h *Handler) internalAssign(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in AssignRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if len(in.Roles) > 0 {
		if err := h.svc.AssignRealmRoles(r.Context(), realm, param(r, "id"), in.Roles...); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
	}
	iamhttp.NoContent(w)
}

// GroupPathsRepresentation is the answer of the internal GET
// /internal/realms/{realm}/users/{id}/group-paths: the paths of the groups
// the user belongs to directly, sorted (the groups claim of tokens).
type GroupPathsRepresentation struct {
	Paths []string `json:"paths"`
}

// internalGroupPaths answers the group paths of {id} (UserGroupPaths).
func (h *Handler) internalGroupPaths(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	paths, err := h.svc.UserGroupPaths(r.Context(), realm, param(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, GroupPathsRepresentation{Paths: paths})
}
