package rbachttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/rbac"
)

// ClientRef names a client as rbac knows it: its UUID and public clientId.
type ClientRef struct {
	ID       string `json:"id"`
	ClientID string `json:"clientId"`
}

// RolesImport is Keycloak's RolesRepresentation as an import brings it:
// realm roles, and client roles by clientId, each a RoleRepresentation
// (with its composites by name) read as the admin API reads a role.
type RolesImport struct {
	Realm  []json.RawMessage            `json:"realm,omitempty"`
	Client map[string][]json.RawMessage `json:"client,omitempty"`
}

// MappingImport gives a subject roles by name: a user (by id) or a client's
// service account ("service-account-{clientUUID}").
type MappingImport struct {
	UserID      string              `json:"userId"`
	RealmRoles  []string            `json:"realmRoles,omitempty"`
	ClientRoles map[string][]string `json:"clientRoles,omitempty"`
}

// ScopeMappingImport maps roles by name to the scope of the client whose
// public clientId is Client: Keycloak's scopeMappings entry (realm roles)
// or clientScopeMappings entry (ClientRoles, by their client's clientId).
type ScopeMappingImport struct {
	Client      string              `json:"client"`
	RealmRoles  []string            `json:"realmRoles,omitempty"`
	ClientRoles map[string][]string `json:"clientRoles,omitempty"`
}

// MemberImport makes a subject a member of groups by path.
type MemberImport struct {
	UserID string   `json:"userId"`
	Groups []string `json:"groups"`
}

// ImportRequest is an import into rbac (rbac.Service.Import): the clients
// it names, roles, role mappings, group trees (Keycloak's
// GroupRepresentations with subGroups, realmRoles and clientRoles) and
// memberships, with Keycloak's ifResourceExists for roles and top-level
// groups.
type ImportRequest struct {
	IfResourceExists string               `json:"ifResourceExists,omitempty"`
	Clients          []ClientRef          `json:"clients,omitempty"`
	Roles            RolesImport          `json:"roles"`
	Mappings         []MappingImport      `json:"mappings,omitempty"`
	ScopeMappings    []ScopeMappingImport `json:"scopeMappings,omitempty"`
	Groups           []json.RawMessage    `json:"groups,omitempty"`
	Members          []MemberImport       `json:"members,omitempty"`
}

// Importer imports into an rbac.Service in process, and exports from it.
// Client.ImportRoles and Client.ExportRoles do the same over HTTP (the
// internal routes run an Importer), so that every deployment takes roles
// and groups through this one code path.
type Importer struct{ svc *rbac.Service }

// NewImporter returns an Importer over svc.
func NewImporter(svc *rbac.Service) *Importer { return &Importer{svc: svc} }

// ImportRoles imports req into realm, all or nothing (rbac.Service.Import):
// Keycloak's partialImport results for the roles (REALM_ROLE, CLIENT_ROLE)
// and top-level groups (GROUP). Errors: CodeInvalid naming the item
// ("roles.client.app[1].name", "groups[0].subGroups[2].name"), and
// rbac.Service.Import's.
func (i *Importer) ImportRoles(ctx context.Context, realm iam.Realm, req ImportRequest) (iamhttp.PartialImportResults, error) {
	in := rbac.Import{Mode: iam.ImportMode(req.IfResourceExists)}
	for _, c := range req.Clients {
		in.Clients = append(in.Clients, rbac.Client{ID: c.ID, ClientID: c.ClientID})
	}
	var fields []string // the field of each of in.Roles
	add := func(field, clientID string, raw json.RawMessage) error {
		rep, err := ParseRole(raw)
		if err != nil {
			return iamhttp.AtField(field, err)
		}
		r := rbac.Role{Name: rep.Name, ClientID: clientID, Attributes: rep.Attributes, Extra: rep.Extra}
		if rep.Description != nil {
			r.Description = *rep.Description
		}
		ir := rbac.ImportRole{Role: r}
		if rep.Composites != nil {
			ir.Composites = rbac.RoleNames{Realm: rep.Composites.Realm, Client: rep.Composites.Client}
		}
		in.Roles = append(in.Roles, ir)
		fields = append(fields, field)
		return nil
	}
	for n, raw := range req.Roles.Realm {
		if err := add(fmt.Sprintf("roles.realm[%d]", n), "", raw); err != nil {
			return iamhttp.PartialImportResults{}, err
		}
	}
	for _, clientID := range slices.Sorted(maps.Keys(req.Roles.Client)) {
		for n, raw := range req.Roles.Client[clientID] {
			if err := add(fmt.Sprintf("roles.client.%s[%d]", clientID, n), clientID, raw); err != nil {
				return iamhttp.PartialImportResults{}, err
			}
		}
	}
	for n, m := range req.Mappings {
		p, err := rbac.PrincipalOf(m.UserID)
		if err != nil {
			return iamhttp.PartialImportResults{}, iamhttp.AtField(fmt.Sprintf("mappings[%d].userId", n), err)
		}
		in.Mappings = append(in.Mappings, rbac.ImportMapping{Principal: p,
			Roles: rbac.RoleNames{Realm: m.RealmRoles, Client: m.ClientRoles}})
	}
	for _, m := range req.ScopeMappings {
		in.Scopes = append(in.Scopes, rbac.ImportScope{ClientID: m.Client,
			Roles: rbac.RoleNames{Realm: m.RealmRoles, Client: m.ClientRoles}})
	}
	for n, raw := range req.Groups {
		t, err := parseGroupTree(raw)
		if err != nil {
			return iamhttp.PartialImportResults{}, iamhttp.AtField(fmt.Sprintf("groups[%d]", n), err)
		}
		in.Groups = append(in.Groups, t)
	}
	for _, m := range req.Members {
		in.Members = append(in.Members, rbac.ImportMembership{UserID: m.UserID, Paths: m.Groups})
	}
	res, err := i.svc.Import(ctx, realm, in)
	if err != nil {
		return iamhttp.PartialImportResults{}, renameRoleField(err, fields)
	}
	var out iamhttp.PartialImportResults
	for _, o := range res.Outcomes {
		kind := iamhttp.ResourceRealmRole
		if o.Role.IsClientRole() {
			kind = iamhttp.ResourceClientRole
		}
		out.Add(o.Action, kind, o.Role.Name, o.Role.ID)
	}
	for n, o := range res.GroupOutcomes {
		name := o.Group.Name
		if name == "" {
			name = in.Groups[n].Name
		}
		out.Add(o.Action, iamhttp.ResourceGroup, name, o.Group.ID)
	}
	if out.Results == nil {
		out.Results = []iamhttp.PartialImportResult{}
	}
	return out, nil
}

// renameRoleField names a role of the request as the request does
// ("roles.client.app[1].composites") where rbac.Service.Import names it
// by its index in the flat list ("roles[4].composites").
func renameRoleField(err error, fields []string) error {
	var e *iam.Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Field, "roles[") {
		return err
	}
	index, rest, _ := strings.Cut(strings.TrimPrefix(e.Field, "roles["), "]")
	n, convErr := strconv.Atoi(index)
	if convErr != nil || n < 0 || n >= len(fields) {
		return err
	}
	c := *e
	c.Field = fields[n] + rest
	c.Message = fields[n] + ": " + strings.TrimPrefix(e.Message, "roles["+index+"]: ")
	return &c
}

// groupImport is a GroupRepresentation of an import: the fields a realm
// export's groups carry; Keycloak's others are kept verbatim (Extra).
type groupImport struct {
	ID            string               `json:"id"`
	Name          *string              `json:"name"`
	Description   *string              `json:"description"`
	Attributes    *map[string][]string `json:"attributes"`
	RealmRoles    []string             `json:"realmRoles"`
	ClientRoles   map[string][]string  `json:"clientRoles"`
	SubGroups     []json.RawMessage    `json:"subGroups"`
	Path          json.RawMessage      `json:"path"`
	ParentID      json.RawMessage      `json:"parentId"`
	SubGroupCount json.RawMessage      `json:"subGroupCount"`
}

// parseGroupTree reads a group of an import with its subgroups.
func parseGroupTree(raw json.RawMessage) (rbac.GroupTree, error) {
	var in groupImport
	extra, err := iamhttp.ParseRepresentation(raw, &in, func(f string) bool { return kcrep.Has(kcrep.Group, f) })
	if err != nil {
		return rbac.GroupTree{}, err
	}
	t := rbac.GroupTree{Group: rbac.Group{ID: in.ID, Extra: extra}, RealmRoles: in.RealmRoles, ClientRoles: in.ClientRoles}
	if in.Name != nil {
		t.Name = *in.Name
	}
	if in.Description != nil {
		t.Description = *in.Description
	}
	if in.Attributes != nil {
		t.Attributes = *in.Attributes
	}
	for n, sub := range in.SubGroups {
		st, err := parseGroupTree(sub)
		if err != nil {
			return rbac.GroupTree{}, iamhttp.AtField(fmt.Sprintf("subGroups[%d]", n), err)
		}
		t.SubGroups = append(t.SubGroups, st)
	}
	return t, nil
}

// ExportRequest says what ExportRoles exports: the roles of the realm and
// of these clients, and, with Groups, the group trees.
type ExportRequest struct {
	Clients []ClientRef `json:"clients,omitempty"`
	Groups  bool        `json:"groups,omitempty"`
}

// Export is a realm's roles and groups as Keycloak's exports hold them,
// each a representation's JSON (Keycloak's fields OpenGate keeps
// included): roles with their composites by name, client roles by
// clientId, groups with their subgroups and the roles mapped to them by
// name (an export lists members on the users).
type Export struct {
	Roles  RolesExport       `json:"roles"`
	Groups []json.RawMessage `json:"groups"`
	// ScopeMappings (realm roles) and ClientScopeMappings (client roles,
	// by the clientId of their client) map roles to the scope of the
	// exported clients, as Keycloak's exports do.
	ScopeMappings       []ScopeEntry            `json:"scopeMappings"`
	ClientScopeMappings map[string][]ScopeEntry `json:"clientScopeMappings"`
}

// ScopeEntry is an entry of Keycloak's scopeMappings and
// clientScopeMappings: roles mapped to the scope of client Client.
type ScopeEntry struct {
	Client string   `json:"client"`
	Roles  []string `json:"roles"`
}

// RolesExport is Keycloak's RolesRepresentation as exported.
type RolesExport struct {
	Realm  []json.RawMessage            `json:"realm"`
	Client map[string][]json.RawMessage `json:"client"`
}

// exportedGroup is a GroupRepresentation of an export.
type exportedGroup struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Description string              `json:"description,omitempty"`
	Path        string              `json:"path"`
	Attributes  map[string][]string `json:"attributes"`
	RealmRoles  []string            `json:"realmRoles"`
	ClientRoles map[string][]string `json:"clientRoles"`
	SubGroups   []exportedGroup     `json:"subGroups"`

	extra iam.Extra
}

// MarshalJSON adds the stored fields OpenGate does not implement.
func (g exportedGroup) MarshalJSON() ([]byte, error) {
	type plain exportedGroup
	return json.Marshal(iamhttp.WithExtra(plain(g), g.extra))
}

// ExportRoles returns realm's roles (those of req's clients too), each with
// its composites by name, and, with req.Groups, its group trees. It reads
// them one after the other, not in one snapshot.
func (i *Importer) ExportRoles(ctx context.Context, realm iam.Realm, req ExportRequest) (Export, error) {
	out := Export{Roles: RolesExport{Realm: []json.RawMessage{}, Client: map[string][]json.RawMessage{}}, Groups: []json.RawMessage{},
		ScopeMappings: []ScopeEntry{}, ClientScopeMappings: map[string][]ScopeEntry{}}
	var err error
	if out.Roles.Realm, err = i.exportRoles(ctx, realm, ""); err != nil {
		return Export{}, err
	}
	for _, c := range req.Clients {
		roles, err := i.exportRoles(ctx, realm, c.ID)
		if err != nil && !errors.Is(err, iam.ErrNotFound) {
			return Export{}, err
		}
		if len(roles) > 0 {
			out.Roles.Client[c.ClientID] = roles
		}
		scope, err := i.svc.ScopeRoles(ctx, realm, c.ID)
		if err != nil && !errors.Is(err, iam.ErrNotFound) {
			return Export{}, err
		}
		out.addScope(c.ClientID, scope)
	}
	if !req.Groups {
		return out, nil
	}
	trees, err := i.svc.ExportGroups(ctx, realm)
	if err != nil {
		return Export{}, err
	}
	for _, t := range trees {
		raw, err := json.Marshal(toExportedGroup(t))
		if err != nil {
			return Export{}, err
		}
		out.Groups = append(out.Groups, raw)
	}
	return out, nil
}

// exportRoles returns the roles of one container with their composites.
func (i *Importer) exportRoles(ctx context.Context, realm iam.Realm, clientUUID string) ([]json.RawMessage, error) {
	roles, err := i.svc.ListRoles(ctx, realm, rbac.RoleFilter{ClientUUID: clientUUID})
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0, len(roles))
	for _, r := range roles {
		rep := toRepresentation(r)
		if r.Composite {
			children, err := i.svc.Composites(ctx, realm, r.ID)
			if err != nil {
				return nil, err
			}
			rep.Composites = compositesByName(children)
		}
		raw, err := json.Marshal(rep)
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, nil
}

// compositesByName names roles as Keycloak's composites do.
func compositesByName(roles []rbac.Role) *RoleComposites {
	c := &RoleComposites{}
	for _, r := range roles {
		if !r.IsClientRole() {
			c.Realm = append(c.Realm, r.Name)
			continue
		}
		if c.Client == nil {
			c.Client = map[string][]string{}
		}
		c.Client[r.ClientID] = append(c.Client[r.ClientID], r.Name)
	}
	return c
}

// toExportedGroup converts a group tree for an export.
func toExportedGroup(t rbac.GroupTree) exportedGroup {
	g := exportedGroup{ID: t.ID, Name: t.Name, Description: t.Description, Path: t.Path,
		Attributes: t.Clone().Attributes, RealmRoles: t.RealmRoles, ClientRoles: t.ClientRoles,
		SubGroups: []exportedGroup{}, extra: t.Extra}
	if g.Attributes == nil {
		g.Attributes = map[string][]string{}
	}
	for _, sub := range t.SubGroups {
		g.SubGroups = append(g.SubGroups, toExportedGroup(sub))
	}
	return g
}

// internalImport answers POST /internal/realms/{realm}/roles/import.
func (h *Handler) internalImport(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var req ImportRequest
	if err := iamhttp.DecodeLimit(w, r, &req, iamhttp.MaxImportBytes); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	res, err := NewImporter(h.svc).ImportRoles(r.Context(), realm, req)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, res)
}

// internalExport answers POST /internal/realms/{realm}/roles/export (an
// ExportRequest: the clients are many).
func (h *Handler) internalExport(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var req ExportRequest
	if err := iamhttp.DecodeLimit(w, r, &req, iamhttp.MaxImportBytes); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out, err := NewImporter(h.svc).ExportRoles(r.Context(), realm, req)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

// ImportRoles runs req on the remote rbac service as Importer.ImportRoles
// does in process, for the caller whose token ctx carries
// (iamhttp.WithCallerToken).
func (c *Client) ImportRoles(ctx context.Context, realm iam.Realm, req ImportRequest) (iamhttp.PartialImportResults, error) {
	const op = "rbachttp.Client.ImportRoles"
	if err := realm.Validate(); err != nil {
		return iamhttp.PartialImportResults{}, iam.Wrap(op, err)
	}
	var out iamhttp.PartialImportResults
	err := c.imports.Do(ctx, op, http.MethodPost, "/internal/realms/"+url.PathEscape(string(realm))+"/roles/import", req, &out)
	return out, err
}

// ExportRoles returns the remote realm's roles and groups as
// Importer.ExportRoles does, for the caller whose token ctx carries.
func (c *Client) ExportRoles(ctx context.Context, realm iam.Realm, req ExportRequest) (Export, error) {
	const op = "rbachttp.Client.ExportRoles"
	if err := realm.Validate(); err != nil {
		return Export{}, iam.Wrap(op, err)
	}
	var out Export
	err := c.imports.Do(ctx, op, http.MethodPost, "/internal/realms/"+url.PathEscape(string(realm))+"/roles/export", req, &out)
	return out, err
}

// Memberships returns what an export lists on a subject (a user id, or
// "service-account-{clientUUID}"): the roles mapped to it directly, realm
// roles by name and client roles by clientId, and the paths of the groups
// it belongs to directly.
func (i *Importer) Memberships(ctx context.Context, realm iam.Realm, userID string) (MappingImport, []string, error) {
	roles, err := i.svc.UserRoles(ctx, realm, userID)
	if err != nil {
		return MappingImport{}, nil, err
	}
	m := MappingImport{UserID: userID}
	if c := compositesByName(roles); c != nil {
		m.RealmRoles, m.ClientRoles = c.Realm, c.Client
	}
	paths, err := i.svc.UserGroupPaths(ctx, realm, userID)
	if err != nil {
		return MappingImport{}, nil, err
	}
	return m, paths, nil
}

// addScope adds the scope mappings of client clientID (roles sorted as
// rbac.SortRoles) to the export.
func (e *Export) addScope(clientID string, roles []rbac.Role) {
	var realmRoles []string
	byClient := map[string][]string{}
	var order []string
	for _, r := range roles {
		if !r.IsClientRole() {
			realmRoles = append(realmRoles, r.Name)
			continue
		}
		if _, seen := byClient[r.ClientID]; !seen {
			order = append(order, r.ClientID)
		}
		byClient[r.ClientID] = append(byClient[r.ClientID], r.Name)
	}
	if len(realmRoles) > 0 {
		e.ScopeMappings = append(e.ScopeMappings, ScopeEntry{Client: clientID, Roles: realmRoles})
	}
	for _, c := range order {
		e.ClientScopeMappings[c] = append(e.ClientScopeMappings[c], ScopeEntry{Client: clientID, Roles: byClient[c]})
	}
}
