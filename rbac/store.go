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

	// Mappings returns the roles mapped directly to p, ordered by client
	// then name.
	Mappings(ctx context.Context, realm iam.Realm, p Principal) ([]Role, error)
	// EffectiveRoles returns every role p holds: its mappings and everything
	// they contain, transitively, each once. Postgres answers it with one
	// query.
	EffectiveRoles(ctx context.Context, realm iam.Realm, p Principal) ([]Role, error)
	// EffectiveRoleNames is EffectiveRoles reduced to what tokens carry:
	// the names of the realm roles, and of the client roles by public
	// clientId (client roles of a client whose clientId is unknown are left
	// out), each once, in any order. It is the hot path of token issuance;
	// Postgres answers it with one query.
	EffectiveRoleNames(ctx context.Context, realm iam.Realm, p Principal) (realmRoles []string, clientRoles map[string][]string, err error)
	// AddMappings maps roles (ids) to p.
	AddMappings(ctx context.Context, realm iam.Realm, p Principal, roleIDs []string, events ...iam.Event) error
	// RemoveMappings unmaps roles from p; absent mappings are ignored.
	RemoveMappings(ctx context.Context, realm iam.Realm, p Principal, roleIDs []string, events ...iam.Event) error
	// RolePrincipals returns the principals the role is mapped to directly,
	// ordered by type then id; CodeNotFound if the role does not exist.
	RolePrincipals(ctx context.Context, realm iam.Realm, roleID string, page Page) ([]Principal, error)
	// DeletePrincipal removes every mapping of p.
	DeletePrincipal(ctx context.Context, realm iam.Realm, p Principal, events ...iam.Event) error

	// DeleteRealm removes every client, role, edge and mapping of realm.
	DeleteRealm(ctx context.Context, realm iam.Realm, events ...iam.Event) error

	// Once runs fn with a Store at most once per (consumer, eventID) that
	// succeeded: if fn succeeds the pair is recorded (Postgres: in the same
	// transaction as fn's changes, made through the Store fn receives), and
	// later calls with the pair return nil without running fn. If fn fails
	// nothing is recorded (Postgres: nor are fn's changes). eventID is the
	// event's UUID.
	Once(ctx context.Context, consumer, eventID string, fn func(Store) error) error
}
