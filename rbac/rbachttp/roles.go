package rbachttp

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// Paging of role lists: Keycloak returns every role unless asked for a page.
const (
	defaultMax = 1000
	maxMax     = 1000
)

// container names a role container from the URL: "" for the realm, else the
// client UUID (CodeNotFound if rbac knows no such client).
type container func(h *Handler, r *http.Request, realm iam.Realm) (string, error)

func realmContainer(*Handler, *http.Request, iam.Realm) (string, error) { return "", nil }

// clientIn is the container of the client whose UUID is URL parameter name.
func clientIn(name string) container {
	return func(h *Handler, r *http.Request, realm iam.Realm) (string, error) {
		c, err := h.svc.Client(r.Context(), realm, param(r, name))
		return c.ID, err
	}
}

// roleLookup finds the role the URL names.
type roleLookup func(r *http.Request, realm iam.Realm) (rbac.Role, error)

func (h *Handler) realmRoleByName(r *http.Request, realm iam.Realm) (rbac.Role, error) {
	return h.svc.GetRoleByName(r.Context(), realm, "", param(r, "roleName"))
}

func (h *Handler) clientRoleByName(r *http.Request, realm iam.Realm) (rbac.Role, error) {
	uuid, err := clientIn("id")(h, r, realm)
	if err != nil {
		return rbac.Role{}, err
	}
	return h.svc.GetRoleByName(r.Context(), realm, uuid, param(r, "roleName"))
}

func (h *Handler) roleByID(r *http.Request, realm iam.Realm) (rbac.Role, error) {
	return h.svc.GetRole(r.Context(), realm, param(r, "roleID"))
}

// roleByIDNeeds returns the admin guard's requirement (iamhttp.AdminGuard.
// RealmFor) of the routes of a role by id: forRealm for a realm role, or
// for a role that does not exist (the handler answers 404), forClient for
// a client role.
func (h *Handler) roleByIDNeeds(forRealm, forClient iam.Permission) func(*http.Request) ([]iam.Permission, error) {
	return func(r *http.Request) ([]iam.Permission, error) {
		realm, err := iamhttp.Realm(r)
		if err != nil {
			return nil, err
		}
		role, err := h.roleByID(r, realm)
		switch {
		case errors.Is(err, iam.ErrNotFound):
			return []iam.Permission{forRealm}, nil
		case err != nil:
			return nil, err
		case role.IsClientRole():
			return []iam.Permission{forClient}, nil
		}
		return []iam.Permission{forRealm}, nil
	}
}

// param returns URL parameter name, unescaped when the router matched the
// raw (still escaped) path, as it does when a segment holds an escaped '/'.
func param(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return v
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// pathRole returns the path's realm (whose caller the admin guard
// authorized) and looks up the role.
func pathRole(r *http.Request, lookup roleLookup) (iam.Realm, rbac.Role, error) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		return "", rbac.Role{}, err
	}
	role, err := lookup(r, realm)
	return realm, role, err
}

func (h *Handler) listRoles(c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, err := iamhttp.Realm(r)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		page, err := iamhttp.ParsePage(r, defaultMax, maxMax)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		uuid, err := c(h, r, realm)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		roles, err := h.svc.ListRoles(r.Context(), realm, rbac.RoleFilter{
			ClientUUID: uuid, Search: r.URL.Query().Get("search"), First: page.First, Max: page.Max,
		})
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.JSON(w, http.StatusOK, toRepresentations(roles))
	}
}

func (h *Handler) createRole(c container) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, err := iamhttp.Realm(r)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		uuid, err := c(h, r, realm)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		in, err := decodeRole(w, r)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		role := rbac.Role{Name: in.Name, ClientUUID: uuid, Attributes: in.Attributes, Extra: in.Extra}
		if in.Description != nil {
			role.Description = *in.Description
		}
		composites, err := h.compositeIDs(r.Context(), realm, in.Composites)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		created, err := h.svc.CreateRole(r.Context(), realm, role, composites...)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.Created(w, r, url.PathEscape(created.Name))
	}
}

// compositeIDs resolves the composites of a new role's representation.
func (h *Handler) compositeIDs(ctx context.Context, realm iam.Realm, c *RoleComposites) ([]string, error) {
	if c == nil {
		return nil, nil
	}
	var ids []string
	for _, name := range c.Realm {
		role, err := h.svc.GetRoleByName(ctx, realm, "", name)
		if err != nil {
			return nil, err
		}
		ids = append(ids, role.ID)
	}
	for clientID, names := range c.Client {
		client, err := h.svc.FindClient(ctx, realm, clientID)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			role, err := h.svc.GetRoleByName(ctx, realm, client.ID, name)
			if err != nil {
				return nil, err
			}
			ids = append(ids, role.ID)
		}
	}
	return ids, nil
}

func (h *Handler) getRole(lookup roleLookup) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, role, err := pathRole(r, lookup)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.JSON(w, http.StatusOK, toRepresentation(role))
	}
}

func (h *Handler) updateRole(lookup roleLookup) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, role, err := pathRole(r, lookup)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		in, err := decodeRole(w, r)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		if in.ID != "" && in.ID != role.ID {
			iamhttp.Error(w, r, iam.Invalidf("id", "id does not match the role in the path"))
			return
		}
		u := rbac.RoleUpdate{Description: in.Description, Extra: in.Extra}
		if in.Name != "" {
			u.Name = &in.Name
		}
		if in.Attributes != nil {
			u.Attributes = &in.Attributes
		}
		if _, err := h.svc.UpdateRole(r.Context(), realm, role.ID, u); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
	}
}

func (h *Handler) deleteRole(lookup roleLookup) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, role, err := pathRole(r, lookup)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		if err := h.svc.DeleteRole(r.Context(), realm, role.ID); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
	}
}

func (h *Handler) roleUsers(lookup roleLookup) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, role, err := pathRole(r, lookup)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		page, err := iamhttp.ParsePage(r, 100, maxMax)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		ids, err := h.svc.RoleUsers(r.Context(), realm, role.ID, rbac.Page{First: page.First, Max: page.Max})
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		out, err := h.usersJSON(r.Context(), realm, ids, false)
		if err != nil {
			iamhttp.Error(w, r, iam.Wrap("rbachttp.roleUsers", err))
			return
		}
		iamhttp.JSON(w, http.StatusOK, out)
	}
}

// usersJSON renders the users with ids as Keycloak's UserRepresentations
// (without attributes when brief), read from the UserGetter (WithUsers); a
// user deleted since its id was read is left out. Without a UserGetter
// each user is only {"id": ...}: rbac does not own users.
func (h *Handler) usersJSON(ctx context.Context, realm iam.Realm, ids []string, brief bool) (any, error) {
	if h.users == nil {
		refs := make([]UserRef, len(ids))
		for i, id := range ids {
			refs[i] = UserRef{ID: id}
		}
		return refs, nil
	}
	reps := make([]any, 0, len(ids))
	for _, id := range ids {
		u, err := h.users.Get(ctx, realm, id)
		if iam.ErrorCode(err) == iam.CodeNotFound {
			continue // deleted since its id was read
		}
		if err != nil {
			return nil, err
		}
		if brief {
			u.Attributes = nil
		}
		reps = append(reps, usershttp.Representation(u))
	}
	return reps, nil
}
