package rbac

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/opengate-iam/opengate/iam"
)

// MaxImportItems bounds each list of an Import (roles, mappings, clients).
const MaxImportItems = 100_000

// RoleNames names roles as Keycloak's representations do: realm roles by
// name, client roles by the public clientId of their client, then name.
type RoleNames struct {
	Realm  []string
	Client map[string][]string
}

// empty reports whether n names no role.
func (n RoleNames) empty() bool {
	if len(n.Realm) > 0 {
		return false
	}
	for _, names := range n.Client {
		if len(names) > 0 {
			return false
		}
	}
	return true
}

// ImportRole is one role of an Import: Role.Name, Description, Attributes
// and Extra, for a realm role, or for a role of the client whose public
// clientId is Role.ClientID (Role.ID, ClientUUID and the timestamps are
// ignored). Composites are the roles it contains.
type ImportRole struct {
	Role       Role
	Composites RoleNames
}

// ImportMapping gives Principal the roles named: a user (by id) or a
// client's service account (by client UUID).
type ImportMapping struct {
	Principal Principal
	Roles     RoleNames
}

// ImportScope maps the roles named to the scope of the client whose
// public clientId is ClientID (Keycloak's scopeMappings and
// clientScopeMappings of a realm export).
type ImportScope struct {
	ClientID string
	Roles    RoleNames
}

// Import is what Service.Import brings into a realm: the shape of a
// Keycloak realm export's roles and role memberships.
type Import struct {
	// Mode says what happens to a role whose container already has one of
	// its name (FAIL, SKIP or OVERWRITE; "" is FAIL).
	Mode iam.ImportMode
	// Clients are the clients that roles and mappings name (their UUID and
	// clientId, as the clients service stores them): recorded first, as
	// PutClient does.
	Clients []Client
	Roles   []ImportRole
	// Mappings are added to what their principals hold.
	Mappings []ImportMapping
	// Scopes are added to the scope mappings of their clients (no
	// escalation rule: a scope mapping grants nothing, see scope.go).
	Scopes []ImportScope
	// Groups are group trees to create at the top level (ParentID is
	// ignored), with their role mappings and members; Mode decides about a
	// top-level group of the same name.
	Groups []GroupTree
	// Members make subjects members of groups named by path: of the
	// imported groups or of the realm's.
	Members []ImportMembership
}

// ImportMembership makes UserID (a user id, or
// "service-account-{clientUUID}") a member of the groups at Paths.
type ImportMembership struct {
	UserID string
	Paths  []string
}

// ImportOutcome is what Import did with one role.
type ImportOutcome struct {
	Action iam.ImportAction
	Role   Role // as stored (for ImportSkipped: the existing role)
}

// GroupOutcome is what Import did with one top-level group tree.
type GroupOutcome struct {
	Action iam.ImportAction
	Group  Group // as stored (for ImportSkipped: the existing group)
}

// ImportResult counts what Import did, roles and top-level groups
// together, with one outcome per role in the order of Import.Roles and one
// per tree in the order of Import.Groups.
type ImportResult struct {
	Added, Skipped, Overwritten int
	Outcomes                    []ImportOutcome
	GroupOutcomes               []GroupOutcome
}

// count adds an action to the totals.
func (r *ImportResult) count(a iam.ImportAction) {
	switch a {
	case iam.ImportAdded:
		r.Added++
	case iam.ImportSkipped:
		r.Skipped++
	case iam.ImportOverwritten:
		r.Overwritten++
	}
}

// Import brings in.Roles and in.Mappings into realm, all or nothing
// (Store.Atomically):
//
//  1. the realm's default roles (EnsureRealmDefaults) and in.Clients are
//     recorded;
//  2. each role is created — or, when its container has one of that name,
//     in.Mode decides: FAIL is CodeConflict naming it, SKIP leaves the
//     existing role and its composites alone, OVERWRITE sets its
//     description, attributes and Extra and replaces its composites (its
//     id, and who holds it, stay);
//  3. the composites of the roles created or overwritten are set, and the
//     mappings added, naming roles of the realm, imported or not;
//  4. the group trees are created (ImportGroups) — a top-level group of
//     the same name fails the import (FAIL), keeps its place (SKIP: the
//     tree is not imported) or is deleted first with its subgroups
//     (OVERWRITE, Keycloak's) — and the members added.
//
// The role events are recorded with the change. Errors, on which nothing
// is imported: CodeInvalid naming the item ("roles[3].name",
// "roles[3].composites" for a role that does not exist, a cycle among
// composites; "mappings[2].roles"), CodeNotFound for a role's client that
// is not known, CodeForbidden when the caller (the principal in ctx) would
// compose, uncompose or grant administrative power it does not hold, or
// give roles to a principal holding such power (escalation.go).
func (s *Service) Import(ctx context.Context, realm iam.Realm, in Import) (ImportResult, error) {
	const op = "rbac.Import"
	if err := realm.Validate(); err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	mode, err := iam.ParseImportMode(string(in.Mode))
	if err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	for name, n := range map[string]int{"roles": len(in.Roles), "mappings": len(in.Mappings), "clients": len(in.Clients), "scopeMappings": len(in.Scopes),
		"groups": len(in.Groups), "members": len(in.Members)} {
		if n > MaxImportItems {
			return ImportResult{}, iam.Wrap(op, iam.Invalidf(name, "at most %d %s per import", MaxImportItems, name))
		}
	}
	if err := checkImportRoles(in.Roles); err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	// What the caller holds is read before the import, from this Service:
	// inside Atomically only realm's data is at hand.
	allowed, err := s.callerPower(ctx, realm)
	if err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	var res ImportResult
	err = s.store.Atomically(ctx, realm, func(st Store) error {
		imp := importer{svc: s.with(st), st: st, realm: realm, mode: mode, allowed: allowed,
			ctx: iam.WithPrincipal(ctx, nil)} // checked here, once, against allowed
		var err error
		res, err = imp.run(in)
		return err
	})
	s.cache.invalidateRealm(realm)
	if err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	return res, nil
}

// checkImportRoles validates the roles' own fields and that no container
// is given one name twice.
func checkImportRoles(roles []ImportRole) error {
	seen := map[[2]string]int{}
	for i, ir := range roles {
		if err := validateRole(ir.Role); err != nil {
			return atItem("roles", i, err)
		}
		key := [2]string{ir.Role.ClientID, ir.Role.Name}
		if j, dup := seen[key]; dup {
			return iam.Invalidf(fmt.Sprintf("roles[%d].name", i), "roles[%d] has the name of roles[%d] (%s)", i, j, ir.Role.Label())
		}
		seen[key] = i
	}
	return nil
}

// callerPower returns the check of the escalation rule for the principal
// in ctx, with what it holds read now: nil for names it holds (and for no
// principal, or a master administrator), else CodeForbidden naming the
// first admin role it lacks.
func (s *Service) callerPower(ctx context.Context, realm iam.Realm) (func(names []string) error, error) {
	p := iam.PrincipalFrom(ctx)
	if p == nil {
		return func([]string) error { return nil }, nil
	}
	var held []string // its administrative power, as iam.AdminRoles names it
	if _, err := PrincipalOf(p.Subject); err == nil && p.Realm.Validate() == nil {
		realmRoles, clientRoles, err := s.EffectiveRoles(ctx, p.Realm, p.Subject)
		if err != nil {
			return nil, err
		}
		held = iam.AdminRoles(realmRoles, clientRoles)
	}
	if p.Realm == iam.MasterRealm && slices.Contains(held, iam.RoleAdmin) {
		return func([]string) error { return nil }, nil
	}
	return func(names []string) error {
		for _, name := range names {
			if p.Realm != realm || !slices.Contains(held, name) {
				return iam.Errorf(iam.CodeForbidden,
					"role %q confers administrative power: only a holder of it may grant, revoke or compose it", name)
			}
		}
		return nil
	}, nil
}

// importer runs one Import inside Store.Atomically.
type importer struct {
	ctx     context.Context // without the principal: the rule is checked here
	svc     *Service        // over st
	st      Store
	realm   iam.Realm
	mode    iam.ImportMode
	allowed func(names []string) error
}

func (im *importer) run(in Import) (ImportResult, error) {
	if err := im.svc.EnsureRealmDefaults(im.ctx, im.realm); err != nil {
		return ImportResult{}, err
	}
	for i, c := range in.Clients {
		if err := validateID("id", c.ID); err != nil {
			return ImportResult{}, atItem("clients", i, err)
		}
		if err := im.st.PutClient(im.ctx, Client{Realm: im.realm, ID: c.ID, ClientID: c.ClientID}); err != nil {
			return ImportResult{}, err
		}
		// Its fine-grained roles, as when rbac learns the client from
		// client.created: an import may name them.
		if c.ClientID == iam.RealmManagement {
			if err := im.svc.EnsureRealmManagementRoles(im.ctx, im.realm, c.ID); err != nil {
				return ImportResult{}, err
			}
		}
	}
	res := ImportResult{Outcomes: make([]ImportOutcome, 0, len(in.Roles))}
	for i, ir := range in.Roles {
		o, err := im.role(ir)
		if err != nil {
			return ImportResult{}, atItem("roles", i, err)
		}
		res.Outcomes = append(res.Outcomes, o)
		res.count(o.Action)
	}
	for i, ir := range in.Roles {
		if o := res.Outcomes[i]; o.Action != iam.ImportSkipped {
			if err := im.composites(o.Role, ir.Composites); err != nil {
				return ImportResult{}, atItem("roles", i, err)
			}
		}
	}
	for i, m := range in.Mappings {
		if err := im.mapping(m); err != nil {
			return ImportResult{}, atItem("mappings", i, err)
		}
	}
	for i, sc := range in.Scopes {
		if err := im.scope(sc); err != nil {
			return ImportResult{}, atItem("scopeMappings", i, err)
		}
	}
	if err := im.groups(in.Groups, &res); err != nil {
		return ImportResult{}, err
	}
	for i, m := range in.Members {
		if err := im.members(m); err != nil {
			return ImportResult{}, atItem("members", i, err)
		}
	}
	for i, o := range res.Outcomes {
		if o.Action != iam.ImportSkipped {
			if r, err := im.st.GetRole(im.ctx, im.realm, o.Role.ID); err == nil {
				res.Outcomes[i].Role = r // with Composite as it now is
			}
		}
	}
	return res, nil
}

// container returns the UUID of the client with public clientID ("" for
// the realm).
func (im *importer) container(clientID string) (string, error) {
	if clientID == "" {
		return "", nil
	}
	c, err := im.st.FindClient(im.ctx, im.realm, clientID)
	if err != nil {
		return "", notFound(err, fmt.Sprintf("client %q not found", clientID))
	}
	return c.ID, nil
}

// role creates ir's role, or applies the mode to the existing one.
func (im *importer) role(ir ImportRole) (ImportOutcome, error) {
	uuid, err := im.container(ir.Role.ClientID)
	if err != nil {
		return ImportOutcome{}, err
	}
	existing, err := im.st.GetRoleByName(im.ctx, im.realm, uuid, ir.Role.Name)
	switch {
	case errors.Is(err, iam.ErrNotFound):
		r := ir.Role.Clone()
		r.ClientUUID = uuid
		created, err := im.svc.CreateRole(im.ctx, im.realm, r)
		return ImportOutcome{Action: iam.ImportAdded, Role: created}, err
	case err != nil:
		return ImportOutcome{}, err
	}
	switch im.mode {
	case iam.ImportSkip:
		return ImportOutcome{Action: iam.ImportSkipped, Role: existing}, nil
	case iam.ImportOverwrite:
	default:
		return ImportOutcome{}, duplicate(iam.Duplicatef("name", "role exists"), existing)
	}
	attrs := ir.Role.Clone().Attributes
	if attrs == nil {
		attrs = map[string][]string{}
	}
	if _, err := im.svc.UpdateRole(im.ctx, im.realm, existing.ID, RoleUpdate{Description: &ir.Role.Description,
		Attributes: &attrs}); err != nil {
		return ImportOutcome{}, err
	}
	// Extra is replaced, not merged: the import's role is the whole role.
	updated, err := im.st.UpdateRole(im.ctx, im.realm, existing.ID, func(r *Role) ([]iam.Event, error) {
		r.Extra = ir.Role.Extra.Clone()
		return nil, nil
	})
	return ImportOutcome{Action: iam.ImportOverwritten, Role: updated}, err
}

// composites makes r contain exactly the roles named (an overwritten role
// loses the others), under the escalation rule for both.
func (im *importer) composites(r Role, names RoleNames) error {
	want, err := im.resolve(names)
	if err != nil {
		return onField("composites", err)
	}
	current, err := im.st.Composites(im.ctx, im.realm, r.ID)
	if err != nil {
		return err
	}
	var removed []string
	for _, c := range current {
		if !slices.Contains(want, c.ID) {
			removed = append(removed, c.ID)
		}
	}
	if err := im.mayChangeHolders(append(slices.Clone(want), removed...)); err != nil {
		return err
	}
	if len(removed) > 0 {
		if err := im.svc.RemoveComposites(im.ctx, im.realm, r.ID, removed...); err != nil {
			return err
		}
	}
	if len(want) == 0 {
		return nil
	}
	return onField("composites", im.svc.AddComposites(im.ctx, im.realm, r.ID, want...))
}

// mapping adds m's roles to its principal, under the escalation rule and
// the rule protecting more powerful subjects.
func (im *importer) mapping(m ImportMapping) error {
	ids, err := im.resolve(RoleNames{Realm: m.Roles.Realm})
	if err != nil {
		return onField("realmRoles", err)
	}
	clientIDs, err := im.resolve(RoleNames{Client: m.Roles.Client})
	if err != nil {
		return onField("clientRoles", err)
	}
	ids = append(ids, clientIDs...)
	if len(ids) == 0 {
		return nil
	}
	if err := im.mayChangeHolders(ids); err != nil {
		return err
	}
	held, heldClients, err := im.st.EffectiveRoleNames(im.ctx, im.realm, m.Principal)
	if err != nil {
		return err
	}
	if err := im.allowed(iam.AdminRoles(held, heldClients)); err != nil {
		return err
	}
	return im.svc.AddUserRoles(im.ctx, im.realm, m.Principal.UserID(), ids...)
}

// scope adds sc's roles to its client's scope mappings.
func (im *importer) scope(sc ImportScope) error {
	c, err := im.st.FindClient(im.ctx, im.realm, sc.ClientID)
	if err != nil {
		return onField("client", notFound(err, fmt.Sprintf("client %q not found", sc.ClientID)))
	}
	ids, err := im.resolve(RoleNames{Realm: sc.Roles.Realm})
	if err != nil {
		return onField("roles", err)
	}
	clientIDs, err := im.resolve(RoleNames{Client: sc.Roles.Client})
	if err != nil {
		return onField("roles", err)
	}
	ids = append(ids, clientIDs...)
	if len(ids) == 0 {
		return nil
	}
	e, err := scopeEvent(c)
	if err != nil {
		return err
	}
	return notFound(im.st.AddMappings(im.ctx, im.realm, scopePrincipal(c.ID), ids, e), "role not found")
}

// groups creates the trees, under the mode, and checks the escalation
// rule for what the new groups confer and what overwritten ones conferred.
func (im *importer) groups(trees []GroupTree, res *ImportResult) error {
	var keep []GroupTree
	var kept []int // index in res.GroupOutcomes of each tree kept
	for i, t := range trees {
		existing, err := im.st.GetGroupByPath(im.ctx, im.realm, GroupPath("", t.Name))
		switch {
		case errors.Is(err, iam.ErrNotFound):
			res.GroupOutcomes = append(res.GroupOutcomes, GroupOutcome{Action: iam.ImportAdded})
		case err != nil:
			return err
		case im.mode == iam.ImportSkip:
			res.GroupOutcomes = append(res.GroupOutcomes, GroupOutcome{Action: iam.ImportSkipped, Group: existing})
			res.count(iam.ImportSkipped)
			continue
		case im.mode == iam.ImportOverwrite:
			names, err := im.svc.groupAdminRoles(im.ctx, im.realm, existing.ID)
			if err != nil {
				return err
			}
			if err := im.allowed(names); err != nil {
				return err
			}
			if err := im.svc.DeleteGroup(im.ctx, im.realm, existing.ID); err != nil {
				return err
			}
			res.GroupOutcomes = append(res.GroupOutcomes, GroupOutcome{Action: iam.ImportOverwritten})
		default:
			return iam.Duplicatef(fmt.Sprintf("groups[%d].name", i), "groups[%d]: a top-level group named %q exists", i, t.Name)
		}
		t.ParentID = ""
		keep = append(keep, t)
		kept = append(kept, len(res.GroupOutcomes)-1)
	}
	if len(keep) == 0 {
		return nil
	}
	created, err := im.svc.ImportGroups(im.ctx, im.realm, keep)
	if err != nil {
		return err
	}
	var ids []string
	for _, g := range created {
		ids = append(ids, g.ID)
	}
	names, err := im.svc.groupAdminRoles(im.ctx, im.realm, ids...)
	if err != nil {
		return err
	}
	if err := im.allowed(names); err != nil {
		return err
	}
	for n, g := range created {
		if g.ParentID != "" {
			continue
		}
		// created lists parents before their subgroups, trees in order.
		o := &res.GroupOutcomes[kept[0]]
		kept = kept[1:]
		o.Group = created[n]
		res.count(o.Action)
	}
	return nil
}

// members makes m's subject a member of the groups at its paths, under the
// escalation rule (what the groups confer) and the rule protecting more
// powerful subjects.
func (im *importer) members(m ImportMembership) error {
	p, err := PrincipalOf(m.UserID)
	if err != nil {
		return err
	}
	held, heldClients, err := im.st.EffectiveRoleNames(im.ctx, im.realm, p)
	if err != nil {
		return err
	}
	if err := im.allowed(iam.AdminRoles(held, heldClients)); err != nil {
		return err
	}
	for _, path := range m.Paths {
		g, err := im.st.GetGroupByPath(im.ctx, im.realm, path)
		if errors.Is(err, iam.ErrNotFound) {
			return iam.Invalidf("groups", "group %q not found", path)
		}
		if err != nil {
			return err
		}
		names, err := im.svc.groupAdminRoles(im.ctx, im.realm, g.ID)
		if err != nil {
			return err
		}
		if err := im.allowed(names); err != nil {
			return err
		}
		if err := im.svc.JoinGroup(im.ctx, im.realm, m.UserID, g.ID); err != nil {
			return err
		}
	}
	return nil
}

// mayChangeHolders checks the escalation rule for a change of who holds
// the roles with ids.
func (im *importer) mayChangeHolders(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	names, err := im.svc.adminRolesIn(im.ctx, im.realm, ids, false)
	if err != nil {
		return err
	}
	return im.allowed(names)
}

// resolve returns the ids of the roles names names, each once; a name
// that is not a role of the realm (or a clientId no client has) is
// CodeInvalid naming it.
func (im *importer) resolve(names RoleNames) ([]string, error) {
	if names.empty() {
		return nil, nil
	}
	var ids []string
	add := func(clientID, name string) error {
		uuid, err := im.container(clientID)
		if err == nil {
			var r Role
			if r, err = im.st.GetRoleByName(im.ctx, im.realm, uuid, name); err == nil {
				if !slices.Contains(ids, r.ID) {
					ids = append(ids, r.ID)
				}
				return nil
			}
		}
		if !errors.Is(err, iam.ErrNotFound) {
			return err
		}
		if clientID == "" {
			return iam.Invalidf("", "realm role %q not found", name)
		}
		return iam.Invalidf("", "role %q of client %q not found", name, clientID)
	}
	for _, name := range names.Realm {
		if err := add("", name); err != nil {
			return nil, err
		}
	}
	for _, clientID := range slices.Sorted(maps.Keys(names.Client)) {
		for _, name := range names.Client[clientID] {
			if err := add(clientID, name); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// onField sets field on a CodeInvalid error that names none.
func onField(field string, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid || e.Field != "" && e.Field != field {
		return err
	}
	c := *e
	c.Field = field
	return &c
}

// atItem names list[i] in a validation error ("roles[3].name").
func atItem(list string, i int, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid && e.Code != iam.CodeConflict && e.Code != iam.CodeNotFound {
		return err
	}
	c := *e
	c.Field = fmt.Sprintf("%s[%d]", list, i)
	if e.Field != "" {
		c.Field += "." + e.Field
	}
	c.Message = fmt.Sprintf("%s[%d]: %s", list, i, e.Message)
	return &c
}
