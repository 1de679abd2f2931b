package rbacmem

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iammem"
	"github.com/opengate-iam/opengate/rbac"
)

// Store is an in-memory rbac.Store. It is safe for concurrent use; roles are
// copied in and out. Events are published to the Publisher given to New
// after the change is applied, best effort: a publishing failure is logged,
// not returned (the change stays), which suits the embedded default with an
// in-process bus.
type Store struct {
	log    *slog.Logger
	events *iammem.Publisher
	once   *iammem.Once
	maxIDs int

	mu     sync.RWMutex
	realms map[iam.Realm]*realmData
}

var _ rbac.Store = (*Store)(nil)

// realmData is everything of one realm.
type realmData struct {
	clients  map[string]rbac.Client     // by client UUID
	roles    map[string]rbac.Role       // by id
	children map[string]map[string]bool // composite edges parent → children
	mappings map[rbac.Principal]map[string]bool

	groups   map[string]rbac.Group      // by id; Path and SubGroupCount are computed
	kids     map[string]map[string]bool // parent id ("" for the top level) → subgroup ids
	members  map[string]map[string]bool // group id → member ids
	memberOf map[string]map[string]bool // member id → group ids (members, inverted)
}

// Option configures a Store.
type Option func(*Store)

// WithLogger sets the logger for publishing failures (default slog.Default).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithProcessedLimit sets how many consumed event ids Once remembers
// (default iammem.DefaultOnceLimit); the oldest are forgotten first.
func WithProcessedLimit(n int) Option { return func(s *Store) { s.maxIDs = n } }

// New returns an empty Store publishing its events to pub (nil: events are
// dropped).
func New(pub iam.Publisher, opts ...Option) *Store {
	s := &Store{log: slog.Default(), realms: map[iam.Realm]*realmData{}}
	for _, o := range opts {
		o(s)
	}
	s.events = iammem.NewPublisher(pub, s.log, "rbacmem")
	s.once = iammem.NewOnce(s.maxIDs)
	return s
}

// realm returns realm's data, creating it when create is set (else nil).
// The caller holds mu (for writing when create is set).
func (s *Store) realm(realm iam.Realm, create bool) *realmData {
	d := s.realms[realm]
	if d == nil && create {
		d = &realmData{
			clients:  map[string]rbac.Client{},
			roles:    map[string]rbac.Role{},
			children: map[string]map[string]bool{},
			mappings: map[rbac.Principal]map[string]bool{},
			groups:   map[string]rbac.Group{},
			kids:     map[string]map[string]bool{},
			members:  map[string]map[string]bool{},
			memberOf: map[string]map[string]bool{},
		}
		s.realms[realm] = d
	}
	return d
}

// out returns a copy of role id with ClientID and Composite filled in.
func (d *realmData) out(id string) rbac.Role {
	r := d.roles[id].Clone()
	if r.IsClientRole() {
		r.ClientID = d.clients[r.ClientUUID].ClientID
	}
	r.Composite = len(d.children[id]) > 0
	return r
}

// PutClient implements rbac.Store.
func (s *Store) PutClient(ctx context.Context, c rbac.Client, events ...iam.Event) error {
	s.mu.Lock()
	s.realm(c.Realm, true).clients[c.ID] = c
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// GetClient implements rbac.Store.
func (s *Store) GetClient(ctx context.Context, realm iam.Realm, id string) (rbac.Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.realm(realm, false); d != nil {
		if c, ok := d.clients[id]; ok {
			return c, nil
		}
	}
	return rbac.Client{}, iam.NotFoundf("client not found")
}

// FindClient implements rbac.Store.
func (s *Store) FindClient(ctx context.Context, realm iam.Realm, clientID string) (rbac.Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.realm(realm, false); d != nil {
		for _, c := range d.clients {
			if c.ClientID == clientID {
				return c, nil
			}
		}
	}
	return rbac.Client{}, iam.NotFoundf("client not found")
}

// DeleteClient implements rbac.Store.
func (s *Store) DeleteClient(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	s.mu.Lock()
	if d := s.realm(realm, false); d != nil {
		delete(d.clients, id)
		for rid, r := range d.roles {
			if r.ClientUUID == id {
				d.deleteRole(rid)
			}
		}
		delete(d.mappings, rbac.Principal{Type: rbac.PrincipalServiceAccount, ID: id})
		delete(d.mappings, rbac.Principal{Type: rbac.PrincipalClient, ID: id})
		d.leaveAll(iam.ServiceAccountSubject(id))
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// DeleteRealm implements rbac.Store.
func (s *Store) DeleteRealm(ctx context.Context, realm iam.Realm, events ...iam.Event) error {
	s.mu.Lock()
	delete(s.realms, realm)
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// Atomically implements rbac.Store: fn works on a scratch Store holding a
// copy of realm's data, which replaces the realm's when fn returns nil (its
// events then published); the store's lock is held throughout, so no other
// change is lost and no reader sees half of fn's work.
func (s *Store) Atomically(ctx context.Context, realm iam.Realm, fn func(rbac.Store) error) error {
	var events iammem.Collector
	scratch := &Store{log: s.log, once: s.once, maxIDs: s.maxIDs, realms: map[iam.Realm]*realmData{}}
	scratch.events = iammem.NewPublisher(&events, s.log, "rbacmem")
	s.mu.Lock()
	if d := s.realms[realm]; d != nil {
		scratch.realms[realm] = d.clone()
	}
	if err := fn(scratch); err != nil {
		s.mu.Unlock()
		return err
	}
	if d := scratch.realms[realm]; d != nil {
		s.realms[realm] = d
	} else {
		delete(s.realms, realm)
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events.Events())
	return nil
}

// clone returns a deep copy of d. Every field of realmData must be copied
// here (TestCloneCopiesEveryField).
func (d *realmData) clone() *realmData {
	c := &realmData{
		clients:  maps.Clone(d.clients),
		roles:    make(map[string]rbac.Role, len(d.roles)),
		children: cloneSets(d.children),
		mappings: make(map[rbac.Principal]map[string]bool, len(d.mappings)),
		groups:   make(map[string]rbac.Group, len(d.groups)),
		kids:     cloneSets(d.kids),
		members:  cloneSets(d.members),
		memberOf: cloneSets(d.memberOf),
	}
	for id, r := range d.roles {
		c.roles[id] = r.Clone()
	}
	for p, ids := range d.mappings {
		c.mappings[p] = maps.Clone(ids)
	}
	for id, g := range d.groups {
		c.groups[id] = g.Clone()
	}
	return c
}

// cloneSets returns a deep copy of m.
func cloneSets(m map[string]map[string]bool) map[string]map[string]bool {
	c := make(map[string]map[string]bool, len(m))
	for k, set := range m {
		c[k] = maps.Clone(set)
	}
	return c
}

// Once implements rbac.Store with iammem.Once: fn runs on this store, at
// most once per (consumer, event id) that succeeded, atomically with
// concurrent deliveries. There is no transaction in memory: what fn changed
// before failing stays, so fn's effects must be idempotent themselves, as
// rbac's are.
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(rbac.Store) error) error {
	return s.once.Do(ctx, consumer, eventID, func() error { return fn(s) })
}

// matches reports whether name contains search, ignoring case.
func matches(name, search string) bool {
	return search == "" || strings.Contains(strings.ToLower(name), strings.ToLower(search))
}

// page applies first and limit (<= 0: none) to n items, returning the
// bounds.
func page(n, first, limit int) (int, int) {
	lo := min(max(first, 0), n)
	hi := n
	if limit > 0 {
		hi = min(lo+limit, n)
	}
	return lo, hi
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
