package rbachttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
)

// resolveRoles returns the ids of the roles a request body names, each by id
// or by name. With only set, every role must belong to that container ("" =
// realm roles; else a client UUID), and names are looked up there; without,
// a name is a realm role's unless clientRole and containerId (the client
// UUID) say otherwise. A role that does not exist, or not where it must, is
// CodeNotFound.
func (h *Handler) resolveRoles(ctx context.Context, realm iam.Realm, reps []RoleRepresentation, only *string) ([]string, error) {
	if len(reps) > rbac.MaxRolesPerRequest {
		return nil, iam.Invalidf("roles", "at most %d roles per request", rbac.MaxRolesPerRequest)
	}
	ids := make([]string, 0, len(reps))
	for _, rep := range reps {
		var (
			role rbac.Role
			err  error
		)
		switch {
		case rep.ID != "":
			role, err = h.svc.GetRole(ctx, realm, rep.ID)
			if err == nil && ((only != nil && role.ClientUUID != *only) || (rep.Name != "" && rep.Name != role.Name)) {
				err = iam.NotFoundf("role %q not found", rep.ID)
			}
		case rep.Name != "":
			container := ""
			switch {
			case only != nil:
				container = *only
			case rep.ClientRole:
				container = rep.ContainerID
			}
			role, err = h.svc.GetRoleByName(ctx, realm, container, rep.Name)
		default:
			err = iam.Invalidf("id", "each role needs an id or a name")
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, role.ID)
	}
	return ids, nil
}

// decodeRoles reads a JSON array of roles, each as decodeRole reads one
// (so that roles read from the API can be sent back as they came).
func decodeRoles(w http.ResponseWriter, r *http.Request) ([]RoleRepresentation, error) {
	var raws []json.RawMessage
	if err := iamhttp.Decode(w, r, &raws); err != nil {
		return nil, err
	}
	reps := make([]RoleRepresentation, 0, len(raws))
	for i, raw := range raws {
		rep, err := ParseRole(raw)
		if err != nil {
			return nil, atIndex(i, err)
		}
		reps = append(reps, rep)
	}
	return reps, nil
}

// atIndex names the role [i] of an array in a validation error.
func atIndex(i int, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid {
		return err
	}
	c := *e
	c.Field = fmt.Sprintf("[%d]", i)
	if e.Field != "" {
		c.Field += "." + e.Field
	}
	c.Message = fmt.Sprintf("role [%d]: %s", i, e.Message)
	return &c
}

func (h *Handler) listComposites(lookup roleLookup) http.HandlerFunc {
	return h.composites(lookup, func(*http.Request, rbac.Role) bool { return true })
}

func (h *Handler) realmComposites(lookup roleLookup) http.HandlerFunc {
	return h.composites(lookup, func(_ *http.Request, c rbac.Role) bool { return !c.IsClientRole() })
}

// clientComposites lists the composites that are roles of the client
// {client}.
func (h *Handler) clientComposites(lookup roleLookup) http.HandlerFunc {
	return h.composites(lookup, func(r *http.Request, c rbac.Role) bool {
		return c.IsClientRole() && c.ClientUUID == param(r, "client")
	})
}

// composites lists the direct composites of a role that keep passes.
func (h *Handler) composites(lookup roleLookup, keep func(*http.Request, rbac.Role) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, role, err := pathRole(r, lookup)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		children, err := h.svc.Composites(r.Context(), realm, role.ID)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		kept := make([]rbac.Role, 0, len(children))
		for _, c := range children {
			if keep(r, c) {
				kept = append(kept, c)
			}
		}
		iamhttp.JSON(w, http.StatusOK, toRepresentations(kept))
	}
}

func (h *Handler) addComposites(lookup roleLookup) http.HandlerFunc {
	return h.changeComposites(lookup, (*rbac.Service).AddComposites)
}

func (h *Handler) removeComposites(lookup roleLookup) http.HandlerFunc {
	return h.changeComposites(lookup, (*rbac.Service).RemoveComposites)
}

// changeComposites applies change to the role and the roles in the body.
func (h *Handler) changeComposites(lookup roleLookup,
	change func(*rbac.Service, context.Context, iam.Realm, string, ...string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		realm, role, err := pathRole(r, lookup)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		reps, err := decodeRoles(w, r)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		ids, err := h.resolveRoles(r.Context(), realm, reps, nil)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		if err := change(h.svc, r.Context(), realm, role.ID, ids...); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
	}
}
