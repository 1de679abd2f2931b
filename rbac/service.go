package rbac

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// ClientResolver tells rbac the public clientId of a client it has not heard
// of yet through client.* events (the in-process clients service, or its
// remote client). It returns CodeNotFound when the client does not exist.
type ClientResolver interface {
	ClientID(ctx context.Context, realm iam.Realm, id string) (string, error)
}

// ClientResolverFunc adapts a function to ClientResolver.
type ClientResolverFunc func(ctx context.Context, realm iam.Realm, id string) (string, error)

// ClientID calls f.
func (f ClientResolverFunc) ClientID(ctx context.Context, realm iam.Realm, id string) (string, error) {
	return f(ctx, realm, id)
}

// Option configures a Service.
type Option func(*Service)

// WithClientResolver makes the Service ask r about clients it does not know
// yet (instead of answering CodeNotFound until the client.created event
// arrives), and remember the answer.
func WithClientResolver(r ClientResolver) Option {
	return func(s *Service) { s.clients = r }
}

// WithBootstrapAdmin names the bootstrap administrator of the master realm
// (OPENGATE_ADMIN_USER) in a deployment where the users service creates it
// in another process: when user.created reports a master user with this
// username, the consumer grants it the realm role admin while no one else
// holds it (GrantBootstrapAdmin). The all-in-one binary grants the role
// directly and does not need this.
func WithBootstrapAdmin(username string) Option {
	return func(s *Service) { s.bootstrapAdmin = strings.ToLower(username) }
}

// WithClock sets the clock used for timestamps and for the expiry of the
// effective-roles cache (tests).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// WithEffectiveRolesCache makes EffectiveRoles (and HasRole) answer from an
// in-process cache of up to maxEntries subjects, each served for at most ttl
// (ttl <= 0: DefaultRolesCacheTTL; maxEntries <= 0: DefaultRolesCacheSize).
//
// Every change made through this Service invalidates what it can alter
// before the call returns: a mapping change (AddUserRoles, RemoveUserRoles,
// AssignRealmRoles, DeleteUser) the subject; a composite change, a role
// rename or deletion, a new clientId, a client or realm deletion the whole
// realm. Consumed events invalidate again once their transaction committed.
// Changes made by other processes sharing the database reach the cache
// through their events: run rbackafka.RunCacheInvalidation with this Service
// in every replica. Creating a role invalidates nothing (no one holds it
// yet).
//
// The cache relies on each Store call having committed when it returns, as
// rbacpg.New(pool) and rbacmem do: do not enable it on a Service over a
// caller's transaction.
func WithEffectiveRolesCache(ttl time.Duration, maxEntries int) Option {
	return func(s *Service) { s.cacheCfg = &cacheConfig{ttl: ttl, size: maxEntries} }
}

// Service holds rbac's rules: role and composite management, role mappings,
// effective roles, realm defaults and the event consumers. It is safe for
// concurrent use.
//
// rbac does not own users: it does not check that a user id exists (auth and
// users own that); mappings of a deleted user are removed on user.deleted.
type Service struct {
	store          Store
	clients        ClientResolver
	now            func() time.Time
	bootstrapAdmin string // lowercase username; "" for none

	cacheCfg *cacheConfig // set by WithEffectiveRolesCache
	cache    *rolesCache  // nil: EffectiveRoles is not cached
}

// New returns a Service over store.
func New(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.cacheCfg != nil {
		s.cache = newRolesCache(s.cacheCfg.ttl, s.cacheCfg.size, s.now)
	}
	return s
}

// InvalidateUser drops the cached effective roles of userID (a user id, or
// "service-account-{clientUUID}") of realm. Changes made through this
// Service invalidate by themselves; this is for changes made elsewhere
// (other replicas, through their role_mapping.changed and user.deleted
// events: rbackafka.RunCacheInvalidation). No-op without
// WithEffectiveRolesCache.
func (s *Service) InvalidateUser(realm iam.Realm, userID string) {
	s.cache.invalidateUser(realm, userID)
}

// InvalidateRealm drops the cached effective roles of every subject of realm
// (on role.*, client.updated, client.deleted and realm.deleted made
// elsewhere). It deletes nothing else; DeleteRealm deletes the realm's
// roles. No-op without WithEffectiveRolesCache.
func (s *Service) InvalidateRealm(realm iam.Realm) { s.cache.invalidateRealm(realm) }

// InvalidateAll empties the effective-roles cache.
func (s *Service) InvalidateAll() { s.cache.invalidateAll() }

// with returns a copy of s working on st (a transaction's store).
func (s *Service) with(st Store) *Service {
	c := *s
	c.store = st
	return &c
}

// Client returns the client rbac knows by UUID, asking the ClientResolver
// (and remembering its answer) when it does not know it yet. CodeNotFound if
// there is no such client.
func (s *Service) Client(ctx context.Context, realm iam.Realm, id string) (Client, error) {
	const op = "rbac.Client"
	if err := realm.Validate(); err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	if err := validateID("client", id); err != nil {
		return Client{}, iam.Wrap(op, iam.NotFoundf("client not found"))
	}
	c, err := s.store.GetClient(ctx, realm, id)
	if err == nil || !errors.Is(err, iam.ErrNotFound) || s.clients == nil {
		if errors.Is(err, iam.ErrNotFound) {
			err = iam.NotFoundf("client not found")
		}
		return c, iam.Wrap(op, err)
	}
	clientID, err := s.clients.ClientID(ctx, realm, id)
	if err != nil {
		if errors.Is(err, iam.ErrNotFound) {
			err = iam.NotFoundf("client not found")
		}
		return Client{}, iam.Wrap(op, err)
	}
	c = Client{Realm: realm, ID: id, ClientID: clientID}
	if err := s.store.PutClient(ctx, c); err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	return c, nil
}

// FindClient returns the client rbac knows by public clientId, or
// CodeNotFound. Clients are learnt from client.* events and the
// ClientResolver (which is not asked here: it resolves UUIDs).
func (s *Service) FindClient(ctx context.Context, realm iam.Realm, clientID string) (Client, error) {
	const op = "rbac.FindClient"
	if err := realm.Validate(); err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	if clientID == "" || len(clientID) > MaxNameLength {
		return Client{}, iam.Wrap(op, iam.NotFoundf("client %q not found", clientID))
	}
	c, err := s.store.FindClient(ctx, realm, clientID)
	return c, iam.Wrap(op, notFound(err, fmt.Sprintf("client %q not found", clientID)))
}

// PutClient records the public clientId of client id (the client.created and
// client.updated consumers call it). When it changes the clientId of a client
// rbac knew, the client's roles appear under another key of
// resource_access: it records role.updated for each of them (so that other
// processes' caches drop the realm after the change committed) and drops
// the realm from this Service's cache. Recording an unchanged clientId
// changes nothing.
func (s *Service) PutClient(ctx context.Context, realm iam.Realm, id, clientID string) error {
	const op = "rbac.PutClient"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if err := validateID("id", id); err != nil {
		return iam.Wrap(op, err)
	}
	if clientID == "" || len(clientID) > MaxNameLength {
		return iam.Wrap(op, iam.Invalidf("clientId", "clientId must be 1 to %d characters", MaxNameLength))
	}
	old, err := s.store.GetClient(ctx, realm, id)
	switch {
	case err == nil && old.ClientID == clientID:
		return nil
	case err != nil && !errors.Is(err, iam.ErrNotFound):
		return iam.Wrap(op, err)
	}
	renamed := err == nil
	var events []iam.Event
	if renamed {
		roles, err := s.store.ListRoles(ctx, realm, RoleFilter{ClientUUID: id})
		if err != nil {
			return iam.Wrap(op, err)
		}
		for _, r := range roles {
			r.ClientID = clientID
			e, err := roleEvent(iam.TopicRoleUpdated, r)
			if err != nil {
				return iam.Wrap(op, err)
			}
			events = append(events, e)
		}
	}
	err = s.store.PutClient(ctx, Client{Realm: realm, ID: id, ClientID: clientID}, events...)
	if renamed {
		s.cache.invalidateRealm(realm)
	}
	return iam.Wrap(op, err)
}

// DeleteClient removes client id's roles (with their mappings and composite
// edges) and its service account's mappings. Idempotent.
func (s *Service) DeleteClient(ctx context.Context, realm iam.Realm, id string) error {
	const op = "rbac.DeleteClient"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if err := validateID("id", id); err != nil {
		return iam.Wrap(op, err)
	}
	roles, err := s.store.ListRoles(ctx, realm, RoleFilter{ClientUUID: id})
	if err != nil {
		return iam.Wrap(op, err)
	}
	events := make([]iam.Event, 0, len(roles)+1)
	for _, r := range roles {
		e, err := roleEvent(iam.TopicRoleDeleted, r)
		if err != nil {
			return iam.Wrap(op, err)
		}
		events = append(events, e)
	}
	e, err := mappingEvent(realm, Principal{Type: PrincipalServiceAccount, ID: id})
	if err != nil {
		return iam.Wrap(op, err)
	}
	events = append(events, e)
	err = s.store.DeleteClient(ctx, realm, id, events...)
	s.cache.invalidateRealm(realm)
	return iam.Wrap(op, err)
}

// DeleteRealm removes everything rbac holds for realm. Idempotent.
func (s *Service) DeleteRealm(ctx context.Context, realm iam.Realm) error {
	const op = "rbac.DeleteRealm"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	err := s.store.DeleteRealm(ctx, realm)
	s.cache.invalidateRealm(realm)
	return iam.Wrap(op, err)
}
