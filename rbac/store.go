package rbac

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Store persists clients, roles, composite edges and role mappings. Every
// method is scoped to one realm: nothing of another realm is ever read,
// changed or returned (an id of another realm's object is not found).
//
// Guarantees every implementation keeps (rbactest checks them):
//
//   - Mutating methods are atomic, and record their events atomically with
//     the change (Postgres: the outbox in the same transaction; memory:
//     published after the change, best effort).
//   - Role names are unique per container (realm, or client): CreateRole and
//     UpdateRole fail with CodeConflict (Field "name") on a duplicate.
//   - No lost updates: UpdateRole changes the role as it is when the change
//     is written, never a copy read earlier; concurrent updates all apply.
//   - The composite graph stays acyclic: AddComposites fails with
//     CodeInvalid (field "composites") and a message naming the cycle when an
//     edge would close one, even under concurrent calls.
//   - AddMappings and AddComposites are idempotent: adding an existing
//     mapping or edge, even concurrently, is no error and leaves one copy.
//   - Deleting a role removes it from every composite and every mapping;
//     deleting a client removes its roles (with their edges and mappings) and
//     its service account's mappings; deleting a realm removes everything of
//     the realm.
//   - Missing objects are CodeNotFound; a role id that does not exist in
//     the realm, passed to AddComposites or AddMappings, is CodeNotFound and
//     nothing changes.
//   - Roles returned carry ClientID and Composite filled in.
//   - Group names are unique among siblings: CreateGroup, UpdateGroup,
//     MoveGroup and ImportGroups fail with CodeConflict (Field "name") on a
//     duplicate. Groups form a tree: MoveGroup never puts a group under
//     itself or its subgroups. Paths follow renames and moves at once, for
//     the whole subtree, even under concurrent changes.
//   - A subject holds, besides the roles mapped to it, the roles mapped to
//     each group it belongs to and to every group above those, composites
//     expanded (EffectiveRoles, EffectiveRoleNames); a group principal
//     (PrincipalGroup) holds its own and its ancestors'. Deleting a group
//     deletes its subgroups, their memberships and their role mappings;
//     deleting a subject (DeletePrincipal, DeleteClient for a service
//     account) its memberships; deleting a realm its groups.
//   - Groups returned carry Path and SubGroupCount filled in.
//   - A client's scope (PrincipalClient, id the client UUID) is mapped like
//     any principal (AddMappings, RemoveMappings, Mappings); AddMappings
//     needs a client the store knows (CodeNotFound), even while it is being
//     deleted. Its effective roles (EffectiveRoles, EffectiveRoleNames) are
//     its scope: its mappings and the client's own roles, with all they
//     contain; it belongs to no group. Deleting the client deletes its
//     scope mappings; deleting a role removes it from every scope.
type Store interface {
	// PutClient records (or updates) the public clientId of a client, with
	// events (the Service passes role.updated for the client's roles when
	// the clientId changes).
	PutClient(ctx context.Context, c Client, events ...iam.Event) error
	// GetClient returns a client rbac knows, or CodeNotFound.
	GetClient(ctx context.Context, realm iam.Realm, id string) (Client, error)
	// FindClient returns the client rbac knows by public clientId, or
	// CodeNotFound. (Should two known clients briefly share a clientId while
	// rename events are in flight, it returns either.)
	FindClient(ctx context.Context, realm iam.Realm, clientID string) (Client, error)
	// DeleteClient forgets a client, its roles and its service account's
	// mappings. Deleting an unknown client is no error.
	DeleteClient(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error

	// CreateRole stores r (ID set by the caller) containing the roles
	// composites (ids). A client role's client must be known (CodeNotFound).
	CreateRole(ctx context.Context, r Role, composites []string, events ...iam.Event) error
	// GetRole returns the role with id, or CodeNotFound.
	GetRole(ctx context.Context, realm iam.Realm, id string) (Role, error)
	// GetRoleByName returns the role named name of the container
	// (clientUUID "" for realm roles), or CodeNotFound.
	GetRoleByName(ctx context.Context, realm iam.Realm, clientUUID, name string) (Role, error)
	// ListRoles returns the roles of a container ordered by name.
	ListRoles(ctx context.Context, realm iam.Realm, f RoleFilter) ([]Role, error)
	// UpdateRole reads the role id of realm, lets fn change the copy, and
	// stores its name, description, attributes, Extra and UpdatedAt with the
	// events fn returns, atomically: no other change to the role happens in
	// between (Postgres: one transaction holding the row lock; memory: under
	// the store's lock, so fn must not call the store). fn's error aborts
	// the update unchanged and is returned as is. CodeNotFound if the role
	// does not exist (fn is not called), CodeConflict (Field "name") if the
	// new name is taken in the container. Returns the stored role.
	UpdateRole(ctx context.Context, realm iam.Realm, id string, fn func(*Role) ([]iam.Event, error)) (Role, error)
	// DeleteRole deletes a role, its edges and its mappings (CodeNotFound if
	// none).
	DeleteRole(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error

	// Composites returns the roles parent directly contains, ordered by
	// name; CodeNotFound if parent does not exist.
	Composites(ctx context.Context, realm iam.Realm, parentID string) ([]Role, error)
	// AddComposites makes parent contain children (see the guarantees on
	// cycles and idempotency).
	AddComposites(ctx context.Context, realm iam.Realm, parentID string, childIDs []string, events ...iam.Event) error
	// RemoveComposites removes the edges parent→child; absent edges are
	// ignored; CodeNotFound if parent does not exist.
	RemoveComposites(ctx context.Context, realm iam.Realm, parentID string, childIDs []string, events ...iam.Event) error

	// Mappings returns the roles mapped directly to p (for a group, to the
	// group itself), ordered by client then name.
	Mappings(ctx context.Context, realm iam.Realm, p Principal) ([]Role, error)
	// EffectiveRoles returns every role p holds: its mappings, those of its
	// groups and their ancestors (of a group principal: of the group and
	// its ancestors), and everything they contain, transitively, each once.
	// Postgres answers it with one query.
	EffectiveRoles(ctx context.Context, realm iam.Realm, p Principal) ([]Role, error)
	// EffectiveRoleNames is EffectiveRoles reduced to what tokens carry:
	// the names of the realm roles, and of the client roles by public
	// clientId (client roles of a client whose clientId is unknown are left
	// out), each once, in any order. It is the hot path of token issuance;
	// Postgres answers it with one query.
	EffectiveRoleNames(ctx context.Context, realm iam.Realm, p Principal) (realmRoles []string, clientRoles map[string][]string, err error)
	// AddMappings maps roles (ids) to p; for a group principal the group
	// must exist (CodeNotFound), even while it is being deleted.
	AddMappings(ctx context.Context, realm iam.Realm, p Principal, roleIDs []string, events ...iam.Event) error
	// AddRealmRoleMapping maps the realm role named name to p, a user or a
	// service account (CodeInvalid, field "principal", for a group), with
	// events, atomically and idempotently as AddMappings; if realm has no
	// realm role of that name it is CodeNotFound, nothing changes and no
	// event is recorded. It is the default-role path of the user.created
	// consumer: Postgres looks the role up, maps it and writes the events
	// in one statement, without a savepoint inside a caller's transaction.
	AddRealmRoleMapping(ctx context.Context, realm iam.Realm, p Principal, name string, events ...iam.Event) error
	// RemoveMappings unmaps roles from p; absent mappings are ignored.
	RemoveMappings(ctx context.Context, realm iam.Realm, p Principal, roleIDs []string, events ...iam.Event) error
	// RolePrincipals returns the principals of the given types (nil: of
	// every type) the role is mapped to directly, ordered by type then id;
	// CodeNotFound if the role does not exist.
	RolePrincipals(ctx context.Context, realm iam.Realm, roleID string, types []PrincipalType, page Page) ([]Principal, error)
	// DeletePrincipal removes every mapping of p and, for a user or a
	// service account, its group memberships.
	DeletePrincipal(ctx context.Context, realm iam.Realm, p Principal, events ...iam.Event) error

	// CreateGroup stores g (ID, Realm, Name, ParentID and timestamps set by
	// the caller; Path and SubGroupCount are ignored) with the events fn
	// returns given the stored group, atomically, and returns the stored
	// group. CodeNotFound if the parent does not exist, CodeConflict (Field
	// "name") if a sibling has its name, CodeConflict (Field "id") if the id
	// is taken; fn's error aborts the creation.
	CreateGroup(ctx context.Context, g Group, fn func(created Group) ([]iam.Event, error)) (Group, error)
	// GetGroup returns the group with id, or CodeNotFound.
	GetGroup(ctx context.Context, realm iam.Realm, id string) (Group, error)
	// GetGroupByPath returns the group whose Path is path, or CodeNotFound.
	GetGroupByPath(ctx context.Context, realm iam.Realm, path string) (Group, error)
	// ListGroups returns the groups f selects, ordered by name then path.
	// A Parent or Member that does not exist selects nothing (no error).
	ListGroups(ctx context.Context, realm iam.Realm, f GroupFilter) ([]Group, error)
	// CountGroups returns how many groups f selects, ignoring its paging.
	CountGroups(ctx context.Context, realm iam.Realm, f GroupFilter) (int, error)
	// UpdateGroup reads the group id, lets fn change the copy, and stores
	// its name, description, attributes, extra and UpdatedAt with the
	// events fn returns, atomically (as UpdateRole: in memory fn must not
	// call the store). A new name renames the paths of the whole subtree.
	// fn's error aborts the update and is returned as is. CodeNotFound (fn
	// is not called), CodeConflict (Field "name") if a sibling has the new
	// name. Returns the stored group.
	UpdateGroup(ctx context.Context, realm iam.Realm, id string, fn func(*Group) ([]iam.Event, error)) (Group, error)
	// MoveGroup makes the group id a subgroup of parentID ("" for the top
	// level), with the events fn returns given the group before and after
	// the move, atomically. CodeNotFound if either group does not exist;
	// CodeInvalid (Field "parentId") if parentID is the group or one of its
	// subgroups; CodeConflict (Field "name") if a new sibling has its name.
	// fn's error aborts the move. Returns the moved group.
	MoveGroup(ctx context.Context, realm iam.Realm, id, parentID string, fn func(before, after Group) ([]iam.Event, error)) (Group, error)
	// DeleteGroup deletes the group id and its subgroups with their
	// memberships and role mappings, and records the events fn returns
	// given the deleted groups (the group first, then its subgroups by
	// path), atomically. CodeNotFound (fn is not called).
	DeleteGroup(ctx context.Context, realm iam.Realm, id string, fn func(deleted []Group) ([]iam.Event, error)) error
	// AddMember makes userID (a user id or "service-account-{clientUUID}")
	// a direct member of the group; idempotent, also under concurrent
	// calls. CodeNotFound if the group does not exist.
	AddMember(ctx context.Context, realm iam.Realm, groupID, userID string, events ...iam.Event) error
	// RemoveMember ends a direct membership; an absent one is ignored.
	// CodeNotFound if the group does not exist.
	RemoveMember(ctx context.Context, realm iam.Realm, groupID, userID string, events ...iam.Event) error
	// GroupMembers returns the direct members of the group, ordered by id;
	// CodeNotFound if the group does not exist.
	GroupMembers(ctx context.Context, realm iam.Realm, groupID string, page Page) ([]string, error)
	// ImportGroups stores in's groups, memberships and group role mappings
	// of realm with the events, all or nothing: a sibling name taken
	// (CodeConflict, Field "name"), a parent, group or role that does not
	// exist (CodeNotFound) changes nothing.
	ImportGroups(ctx context.Context, realm iam.Realm, in GroupImport, events ...iam.Event) error

	// DeleteRealm removes every client, role, edge, mapping and group of
	// realm.
	DeleteRealm(ctx context.Context, realm iam.Realm, events ...iam.Event) error

	// Atomically runs fn with a Store whose changes to realm (made through
	// it) are kept, with their events, all together if fn returns nil, and
	// none of them otherwise (Postgres: one transaction; memory: fn works
	// on a copy of the realm, which replaces it at the end, the store's
	// other writers and readers waiting meanwhile). fn must not use this
	// Store itself, and changes only realm. fn's error is returned as is.
	Atomically(ctx context.Context, realm iam.Realm, fn func(Store) error) error

	// Once runs fn with a Store at most once per (consumer, eventID) that
	// succeeded: if fn succeeds the pair is recorded (Postgres: in the same
	// transaction as fn's changes, made through the Store fn receives), and
	// later calls with the pair return nil without running fn. If fn fails
	// nothing is recorded (Postgres: nor are fn's changes). eventID is the
	// event's UUID.
	Once(ctx context.Context, consumer, eventID string, fn func(Store) error) error
}
