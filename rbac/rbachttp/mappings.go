package rbachttp

import (
	"context"
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

// subject is the role-mapping API of one kind of subject: users (and
// service accounts), or groups. Its functions have the signatures of the
// rbac.Service methods they name.
type subject struct {
	// id returns the path's subject id, checked (CodeNotFound or
	// CodeInvalid otherwise).
	id func(r *http.Request) (string, error)
	// mapped, effective, add and remove are the Service's methods for the
	// subject's direct roles, effective roles and mapping changes.
	mapped    func(s *rbac.Service, ctx context.Context, realm iam.Realm, id string) ([]rbac.Role, error)
	effective func(s *rbac.Service, ctx context.Context, realm iam.Realm, id string) ([]rbac.Role, error)
	add       func(s *rbac.Service, ctx context.Context, realm iam.Realm, id string, roleIDs ...string) error
	remove    func(s *rbac.Service, ctx context.Context, realm iam.Realm, id string, roleIDs ...string) error
}

// userSubject maps roles to the path's {id}: a user id, or
// "service-account-{clientUUID}". rbac does not check that the user exists.
func userSubject() subject {
	return subject{
		id: func(r *http.Request) (string, error) {
			user := param(r, "id")
			_, err := rbac.PrincipalOf(user)
			return user, err
		},
		mapped:    (*rbac.Service).UserRoles,
		effective: (*rbac.Service).UserCompositeRoles,
		add:       (*rbac.Service).AddUserRoles,
		remove:    (*rbac.Service).RemoveUserRoles,
	}
}

// groupSubject maps roles to the path's {groupId}, whose existence the
// Service checks.
func groupSubject() subject {
	return subject{
		id:        func(r *http.Request) (string, error) { return param(r, "groupId"), nil },
		mapped:    (*rbac.Service).GroupRoles,
		effective: (*rbac.Service).GroupCompositeRoles,
		add:       (*rbac.Service).AddGroupRoles,
		remove:    (*rbac.Service).RemoveGroupRoles,
	}
}

// scopeSubject maps roles to the scope of the path's client {id} (its
// UUID), which the Service checks. Its effective roles are the scope as
// tokens apply it: the client's own roles and its scope mappings, with
// everything they contain (whether or not the client allows full scope,
// where Keycloak's composite and available lists treat a client allowing
// full scope as holding every role).
func scopeSubject() subject {
	return subject{
		id:        func(r *http.Request) (string, error) { return param(r, "id"), nil },
		mapped:    (*rbac.Service).ScopeRoles,
		effective: (*rbac.Service).ScopeCompositeRoles,
		add:       (*rbac.Service).AddScopeRoles,
		remove:    (*rbac.Service).RemoveScopeRoles,
	}
}

// pathSubject returns the path's realm (whose caller the admin guard
// authorized) and subject id.
func pathSubject(r *http.Request, sub subject) (iam.Realm, string, error) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		return "", "", err
	}
	id, err := sub.id(r)
	if err != nil {
		return "", "", err
	}
	return realm, id, nil
}

func (h *Handler) getMappings(sub subject) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, id, err := pathSubject(r, sub)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		roles, err := sub.mapped(h.svc, r.Context(), realm, id)
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
}

// subjectContainer resolves the path's realm, subject and the container.
func (h *Handler) subjectContainer(r *http.Request, sub subject, c container) (iam.Realm, string, string, error) {
	realm, id, err := pathSubject(r, sub)
	if err != nil {
		return "", "", "", err
	}
	uuid, err := c(h, r, realm)
	return realm, id, uuid, err
}

func (h *Handler) listMapped(sub subject, c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, id, uuid, err := h.subjectContainer(r, sub, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		roles, err := sub.mapped(h.svc, r.Context(), realm, id)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.JSON(w, http.StatusOK, toRepresentations(inContainer(roles, uuid)))
	}
}

func (h *Handler) listEffective(sub subject, c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, id, uuid, err := h.subjectContainer(r, sub, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		roles, err := sub.effective(h.svc, r.Context(), realm, id)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.JSON(w, http.StatusOK, toRepresentations(inContainer(roles, uuid)))
	}
}

// listAvailable lists the container's roles the subject does not hold,
// directly or through a composite or a group (as Keycloak).
func (h *Handler) listAvailable(sub subject, c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, id, uuid, err := h.subjectContainer(r, sub, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		held, err := sub.effective(h.svc, r.Context(), realm, id)
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

func (h *Handler) addMapped(sub subject, c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, id, uuid, err := h.subjectContainer(r, sub, c)
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
		if err := sub.add(h.svc, r.Context(), realm, id, ids...); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
	}
}

// removeMapped unmaps the roles in the body, or, with no body, every role of
// the container mapped to the subject (as Keycloak).
func (h *Handler) removeMapped(sub subject, c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, id, uuid, err := h.subjectContainer(r, sub, c)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		var ids []string
		if r.ContentLength == 0 {
			mapped, err := sub.mapped(h.svc, r.Context(), realm, id)
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
		if err := sub.remove(h.svc, r.Context(), realm, id, ids...); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
	}
}
