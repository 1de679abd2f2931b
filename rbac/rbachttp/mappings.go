package rbachttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
)

// inContainer keeps the roles of one container ("" = realm roles).
func inContainer(roles []rbac.Role, clientUUID string) []rbac.Role {
	kept := make([]rbac.Role, 0, len(roles))
	for _, r := range roles {
		if r.ClientUUID == clientUUID {
			kept = append(kept, r)
		}
	}
	return kept
}

// pathUser returns the path's realm (whose caller the admin guard
// authorized) and the {id} parameter (a user id, or
// "service-account-{clientUUID}"). rbac does not check that the user exists.
func pathUser(r *http.Request) (iam.Realm, string, error) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		return "", "", err
	}
	user := param(r, "id")
	if _, err := rbac.PrincipalOf(user); err != nil {
		return "", "", err
	}
	return realm, user, nil
}

func (h *Handler) getMappings(w http.ResponseWriter, r *http.Request) {
	realm, user, err := pathUser(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	roles, err := h.svc.UserRoles(r.Context(), realm, user)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var out MappingsRepresentation
	for _, role := range roles {
		if !role.IsClientRole() {
			out.RealmMappings = append(out.RealmMappings, toRepresentation(role))
			continue
		}
		if out.ClientMappings == nil {
			out.ClientMappings = map[string]ClientMappingsRepresentation{}
		}
		cm := out.ClientMappings[role.ClientID]
		cm.ID, cm.Client = role.ClientUUID, role.ClientID
		cm.Mappings = append(cm.Mappings, toRepresentation(role))
		out.ClientMappings[role.ClientID] = cm
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

// userContainer resolves the path's realm, {id} and the container.
func (h *Handler) userContainer(r *http.Request, c container) (iam.Realm, string, string, error) {
	realm, user, err := pathUser(r)
	if err != nil {
		return "", "", "", err
	}
	uuid, err := c(h, r, realm)
	return realm, user, uuid, err
}

func (h *Handler) listMapped(c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, user, uuid, err := h.userContainer(r, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		roles, err := h.svc.UserRoles(r.Context(), realm, user)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.JSON(w, http.StatusOK, toRepresentations(inContainer(roles, uuid)))
	}
}

func (h *Handler) listEffective(c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, user, uuid, err := h.userContainer(r, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		roles, err := h.svc.UserCompositeRoles(r.Context(), realm, user)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.JSON(w, http.StatusOK, toRepresentations(inContainer(roles, uuid)))
	}
}

// listAvailable lists the container's roles the user does not hold, directly
// or through a composite (as Keycloak).
func (h *Handler) listAvailable(c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, user, uuid, err := h.userContainer(r, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		held, err := h.svc.UserCompositeRoles(r.Context(), realm, user)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		all, err := h.svc.ListRoles(r.Context(), realm, rbac.RoleFilter{ClientUUID: uuid})
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		has := make(map[string]bool, len(held))
		for _, role := range held {
			has[role.ID] = true
		}
		available := make([]rbac.Role, 0, len(all))
		for _, role := range all {
			if !has[role.ID] {
				available = append(available, role)
			}
		}
		iamhttp.JSON(w, http.StatusOK, toRepresentations(available))
	}
}

func (h *Handler) addMapped(c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, user, uuid, err := h.userContainer(r, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		reps, err := decodeRoles(w, r)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		ids, err := h.resolveRoles(r.Context(), realm, reps, &uuid)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		if err := h.svc.AddUserRoles(r.Context(), realm, user, ids...); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
	}
}

// removeMapped unmaps the roles in the body, or, with no body, every role of
// the container mapped to the user (as Keycloak).
func (h *Handler) removeMapped(c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, user, uuid, err := h.userContainer(r, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		var ids []string
		if r.ContentLength == 0 {
			mapped, err := h.svc.UserRoles(r.Context(), realm, user)
			if err != nil {
				iamhttp.Error(w, r, err)
				return
			}
			for _, role := range inContainer(mapped, uuid) {
				ids = append(ids, role.ID)
			}
		} else {
			reps, err := decodeRoles(w, r)
			if err != nil {
				iamhttp.Error(w, r, err)
				return
			}
			if ids, err = h.resolveRoles(r.Context(), realm, reps, &uuid); err != nil {
				iamhttp.Error(w, r, err)
				return
			}
		}
		if err := h.svc.RemoveUserRoles(r.Context(), realm, user, ids...); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
	}
}
