package rbachttp

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
)

// Paging of group lists. Keycloak returns every group unless asked for a
// page, children ten at a time and members a hundred.
const (
	defaultChildrenMax = 10
	defaultMembersMax  = 100
)

// pathGroup returns the path's realm and the group {groupId}.
func (h *Handler) pathGroup(r *http.Request) (iam.Realm, rbac.Group, error) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		return "", rbac.Group{}, err
	}
	g, err := h.svc.GetGroup(r.Context(), realm, param(r, "groupId"))
	return realm, g, err
}

// listGroups answers GET /groups: the top-level groups, or with search
// (name, exact) or q (attributes; it wins over search, as in Keycloak) the
// matching groups, paged, each with the groups above it unless
// populateHierarchy=false.
func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out, err := h.findGroups(r, realm)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) findGroups(r *http.Request, realm iam.Realm) ([]GroupRepresentation, error) {
	page, err := iamhttp.ParsePage(r, defaultMax, maxMax)
	if err != nil {
		return nil, err
	}
	brief, err := boolParam(r, "briefRepresentation", true)
	if err != nil {
		return nil, err
	}
	hierarchy, err := boolParam(r, "populateHierarchy", true)
	if err != nil {
		return nil, err
	}
	counts, err := boolParam(r, "subGroupsCount", true)
	if err != nil {
		return nil, err
	}
	exact, err := boolParam(r, "exact", false)
	if err != nil {
		return nil, err
	}
	attrs, err := attributeQuery(r)
	if err != nil {
		return nil, err
	}
	f := rbac.GroupFilter{First: page.First, Max: page.Max}
	search, searching := r.URL.Query()["search"]
	switch {
	case attrs != nil:
		f.Attributes = attrs
	case searching:
		f.Search, f.Exact = strings.TrimSpace(search[0]), exact
	default:
		top := ""
		f.Parent = &top
	}
	groups, err := h.svc.ListGroups(r.Context(), realm, f)
	if err != nil {
		return nil, err
	}
	v := groupView{full: !brief, subCount: counts}
	if f.Parent != nil || !hierarchy {
		return h.groupsJSON(r.Context(), realm, groups, v)
	}
	return h.hierarchy(r.Context(), realm, groups, v)
}

// hierarchy renders matches as Keycloak's populateHierarchy does: the
// top-level groups above them, each holding in subGroups the way down to
// the matches (and the matches hold the matches below them), by name.
func (h *Handler) hierarchy(ctx context.Context, realm iam.Realm, matches []rbac.Group, v groupView) ([]GroupRepresentation, error) {
	groups := map[string]rbac.Group{}
	children := map[string][]string{}
	var roots []string
	var add func(g rbac.Group) error
	add = func(g rbac.Group) error {
		if _, seen := groups[g.ID]; seen {
			return nil
		}
		groups[g.ID] = g
		if g.ParentID == "" {
			roots = append(roots, g.ID)
			return nil
		}
		children[g.ParentID] = append(children[g.ParentID], g.ID)
		parent, err := h.svc.GetGroup(ctx, realm, g.ParentID)
		if err != nil {
			return err
		}
		return add(parent)
	}
	for _, g := range matches {
		if err := add(g); err != nil {
			return nil, err
		}
	}
	byName := func(a, b string) int {
		return strings.Compare(groups[a].Name+"/"+groups[a].Path, groups[b].Name+"/"+groups[b].Path)
	}
	var render func(id string) (GroupRepresentation, error)
	render = func(id string) (GroupRepresentation, error) {
		rep, err := h.groupJSON(ctx, realm, groups[id], v)
		if err != nil {
			return rep, err
		}
		kids := children[id]
		slices.SortFunc(kids, byName)
		for _, k := range kids {
			sub, err := render(k)
			if err != nil {
				return rep, err
			}
			rep.SubGroups = append(rep.SubGroups, sub)
		}
		return rep, nil
	}
	slices.SortFunc(roots, byName)
	out := make([]GroupRepresentation, 0, len(roots))
	for _, id := range roots {
		rep, err := render(id)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

// countGroups answers GET /groups/count: {"count": n} of the groups whose
// name contains search, else of every group, or of the top-level ones with
// top=true.
func (h *Handler) countGroups(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	top, err := boolParam(r, "top", false)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var f rbac.GroupFilter
	if search, ok := r.URL.Query()["search"]; ok {
		f.Search = strings.TrimSpace(search[0])
	} else if top {
		root := ""
		f.Parent = &root
	}
	n, err := h.svc.CountGroups(r.Context(), realm, f)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, CountRepresentation{Count: n})
}

// createGroup answers POST /groups: a new top-level group (201 with its
// Location), or, when the body's id names an existing group, that group
// moved to the top level (204), as Keycloak does.
func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	in, extra, err := decodeGroup(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if in.ID != "" {
		if _, err := h.svc.MoveGroup(r.Context(), realm, in.ID, ""); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
		return
	}
	g, err := h.svc.CreateGroup(r.Context(), realm, newGroup(in, extra, ""))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.Created(w, r, g.ID)
}

// newGroup is the group a POST's body describes.
func newGroup(in groupInput, extra iam.Extra, parentID string) rbac.Group {
	g := rbac.Group{ParentID: parentID, Extra: extra}
	if in.Name != nil {
		g.Name = *in.Name
	}
	if in.Description != nil {
		g.Description = *in.Description
	}
	if in.Attributes != nil {
		g.Attributes = *in.Attributes
	}
	return g
}

// createChild answers POST /groups/{groupId}/children: a new subgroup (201
// with its Location under /groups and its representation), or, when the
// body's id names an existing group, that group moved under {groupId}
// (204).
func (h *Handler) createChild(w http.ResponseWriter, r *http.Request) {
	realm, parent, err := h.pathGroup(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	in, extra, err := decodeGroup(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if in.ID != "" {
		if _, err := h.svc.MoveGroup(r.Context(), realm, in.ID, parent.ID); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		iamhttp.NoContent(w)
		return
	}
	g, err := h.svc.CreateGroup(r.Context(), realm, newGroup(in, extra, parent.ID))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	rep, err := h.groupJSON(r.Context(), realm, g, groupView{full: true})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	// Keycloak's Location names the group under /groups, not /children.
	base := strings.TrimSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/children")
	w.Header().Set("Location", iamhttp.Location(r, base[:strings.LastIndex(base, "/")+1]+g.ID))
	iamhttp.JSON(w, http.StatusCreated, rep)
}

// getGroup answers GET /groups/{groupId}: the full representation.
func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request) {
	realm, g, err := h.pathGroup(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	rep, err := h.groupJSON(r.Context(), realm, g, groupView{full: true, subCount: true})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, rep)
}

// updateGroup answers PUT /groups/{groupId}: the fields present change
// (attributes replaced as a whole), the others stay; 204.
func (h *Handler) updateGroup(w http.ResponseWriter, r *http.Request) {
	realm, g, err := h.pathGroup(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	in, extra, err := decodeGroup(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if in.ID != "" && in.ID != g.ID {
		iamhttp.Error(w, r, iam.Invalidf("id", "id does not match the group in the path"))
		return
	}
	u := rbac.GroupUpdate{Name: in.Name, Description: in.Description, Attributes: in.Attributes, Extra: extra}
	if _, err := h.svc.UpdateGroup(r.Context(), realm, g.ID, u); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// deleteGroup answers DELETE /groups/{groupId}: the group and its
// subgroups; 204.
func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request) {
	realm, g, err := h.pathGroup(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.DeleteGroup(r.Context(), realm, g.ID); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// listChildren answers GET /groups/{groupId}/children: its subgroups by
// name, optionally those whose name contains search (or is it, with
// exact), ten by default, full unless briefRepresentation=true.
func (h *Handler) listChildren(w http.ResponseWriter, r *http.Request) {
	realm, g, err := h.pathGroup(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	page, err := iamhttp.ParsePage(r, defaultChildrenMax, maxMax)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	brief, err := boolParam(r, "briefRepresentation", false)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	exact, err := boolParam(r, "exact", false)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	counts, err := boolParam(r, "subGroupsCount", true)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	f := rbac.GroupFilter{Parent: &g.ID, Search: strings.TrimSpace(r.URL.Query().Get("search")), Exact: exact,
		First: page.First, Max: page.Max}
	groups, err := h.svc.ListGroups(r.Context(), realm, f)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out, err := h.groupsJSON(r.Context(), realm, groups, groupView{full: !brief, subCount: counts})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

// groupByPath answers GET /group-by-path/{path}: the group at the path,
// full, with its subgroups at every depth (Keycloak's group hierarchy).
func (h *Handler) groupByPath(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	g, err := h.svc.GroupByPath(r.Context(), realm, param(r, "*"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	below, err := h.svc.ListGroups(r.Context(), realm, rbac.GroupFilter{Subtree: g.Path})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	v := groupView{full: true, subCount: true}
	children := map[string][]rbac.Group{}
	for _, b := range below { // ordered by name
		children[b.ParentID] = append(children[b.ParentID], b)
	}
	var render func(g rbac.Group) (GroupRepresentation, error)
	render = func(g rbac.Group) (GroupRepresentation, error) {
		rep, err := h.groupJSON(r.Context(), realm, g, v)
		if err != nil {
			return rep, err
		}
		for _, c := range children[g.ID] {
			sub, err := render(c)
			if err != nil {
				return rep, err
			}
			rep.SubGroups = append(rep.SubGroups, sub)
		}
		return rep, nil
	}
	rep, err := render(g)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, rep)
}

// groupMembers answers GET /groups/{groupId}/members: its direct members
// as users (see usersJSON), by id, a hundred by default.
func (h *Handler) groupMembers(w http.ResponseWriter, r *http.Request) {
	realm, g, err := h.pathGroup(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	page, err := iamhttp.ParsePage(r, defaultMembersMax, maxMax)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	brief, err := boolParam(r, "briefRepresentation", false)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	ids, err := h.svc.GroupMembers(r.Context(), realm, g.ID, rbac.Page{First: page.First, Max: page.Max})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out, err := h.usersJSON(r.Context(), realm, ids, brief)
	if err != nil {
		iamhttp.Error(w, r, iam.Wrap("rbachttp.groupMembers", err))
		return
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

// pathUserGroups returns the path's realm and user {id}, which must exist
// when the Handler reads users (WithUsers), as in Keycloak.
func (h *Handler) pathUserGroups(r *http.Request) (iam.Realm, string, error) {
	realm, user, err := pathSubject(r, userSubject())
	if err != nil || h.users == nil {
		return realm, user, err
	}
	if _, isAccount := iam.ServiceAccountClient(user); isAccount {
		return realm, user, nil
	}
	if _, err := h.users.Get(r.Context(), realm, user); err != nil {
		if iam.ErrorCode(err) == iam.CodeNotFound {
			return "", "", iam.NotFoundf("User not found")
		}
		return "", "", err
	}
	return realm, user, nil
}

// userGroups answers GET /users/{id}/groups: the groups the user belongs to
// directly, by name, optionally those whose name contains search, paged,
// brief unless briefRepresentation=false.
func (h *Handler) userGroups(w http.ResponseWriter, r *http.Request) {
	realm, user, err := h.pathUserGroups(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	page, err := iamhttp.ParsePage(r, defaultMax, maxMax)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	brief, err := boolParam(r, "briefRepresentation", true)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	groups, err := h.svc.ListGroups(r.Context(), realm, rbac.GroupFilter{Member: user,
		Search: strings.TrimSpace(r.URL.Query().Get("search")), First: page.First, Max: page.Max})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out, err := h.groupsJSON(r.Context(), realm, groups, groupView{full: !brief})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

// userGroupCount answers GET /users/{id}/groups/count: {"count": n}.
func (h *Handler) userGroupCount(w http.ResponseWriter, r *http.Request) {
	realm, user, err := h.pathUserGroups(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	n, err := h.svc.CountGroups(r.Context(), realm, rbac.GroupFilter{Member: user,
		Search: strings.TrimSpace(r.URL.Query().Get("search"))})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, CountRepresentation{Count: n})
}

// joinGroup answers PUT /users/{id}/groups/{groupId}: 204, also when the
// user already belongs to the group.
func (h *Handler) joinGroup(w http.ResponseWriter, r *http.Request) {
	h.changeMembership(w, r, (*rbac.Service).JoinGroup)
}

// leaveGroup answers DELETE /users/{id}/groups/{groupId}: 204, also when
// the user did not belong to the group.
func (h *Handler) leaveGroup(w http.ResponseWriter, r *http.Request) {
	h.changeMembership(w, r, (*rbac.Service).LeaveGroup)
}

func (h *Handler) changeMembership(w http.ResponseWriter, r *http.Request,
	change func(*rbac.Service, context.Context, iam.Realm, string, string) error) {
	realm, user, err := h.pathUserGroups(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := change(h.svc, r.Context(), realm, user, param(r, "groupId")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
