package clientsmem

import (
	"context"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iammem"
)

// Store is an in-memory clients.Store, safe for concurrent use. The zero
// value is not usable; call New.
type Store struct {
	log    *slog.Logger
	events *iammem.Publisher
	once   *iammem.Once
	mac    *iamcrypto.MAC // secret verifiers, under a key of this Store only

	mu     sync.RWMutex
	realms map[iam.Realm]*realmClients
}

// realmClients holds one realm's clients by id and by clientId.
type realmClients struct {
	byID       map[string]clients.Record
	byClientID map[string]string // clientId → id
}

var _ clients.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithLogger sets the logger that reports events that could not be
// published (slog.Default() by default).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// New returns an empty Store that publishes its events to pub (nil: none).
func New(pub iam.Publisher, opts ...Option) *Store {
	// Cannot fail: GenerateKey returns KeySize bytes. Nothing outlives the
	// process, so neither does the key.
	mac, _ := iamcrypto.NewMAC("clients/secret", iamcrypto.GenerateKey())
	s := &Store{log: slog.Default(), realms: map[iam.Realm]*realmClients{}, once: iammem.NewOnce(0), mac: mac}
	for _, o := range opts {
		o(s)
	}
	s.events = iammem.NewPublisher(pub, s.log, "clientsmem")
	return s
}

func clone(r clients.Record) clients.Record {
	r.Client = r.Client.Clone()
	r.SecretHash = cloneBytes(r.SecretHash)
	return r
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func (s *Store) realmLocked(realm iam.Realm) *realmClients {
	rc, ok := s.realms[realm]
	if !ok {
		rc = &realmClients{byID: map[string]clients.Record{}, byClientID: map[string]string{}}
		s.realms[realm] = rc
	}
	return rc
}

// Create implements clients.Store.
func (s *Store) Create(ctx context.Context, rec clients.Record, events ...iam.Event) error {
	s.mu.Lock()
	rc := s.realmLocked(rec.Client.Realm)
	if _, ok := rc.byID[rec.Client.ID]; ok {
		s.mu.Unlock()
		return iam.Duplicatef("id", "a client with this id already exists")
	}
	if _, ok := rc.byClientID[rec.Client.ClientID]; ok {
		s.mu.Unlock()
		return conflictClientID(rec.Client.ClientID)
	}
	rc.byID[rec.Client.ID] = s.withVerifier(clone(rec))
	rc.byClientID[rec.Client.ClientID] = rec.Client.ID
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// CreateIfAbsent implements clients.Store.
func (s *Store) CreateIfAbsent(ctx context.Context, cs ...clients.Creation) ([]bool, error) {
	realm, err := clients.CreationRealm(cs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	rc := s.realmLocked(realm)
	// Every id is checked before anything is stored: all or nothing.
	ids := make(map[string]bool, len(cs))
	for _, c := range cs {
		if _, ok := rc.byID[c.Record.Client.ID]; ok || ids[c.Record.Client.ID] {
			s.mu.Unlock()
			return nil, iam.Duplicatef("id", "a client with this id already exists")
		}
		ids[c.Record.Client.ID] = true
	}
	created := make([]bool, len(cs))
	var events []iam.Event
	for i, c := range cs {
		if _, ok := rc.byClientID[c.Record.Client.ClientID]; ok {
			continue
		}
		rc.byID[c.Record.Client.ID] = s.withVerifier(clone(c.Record))
		rc.byClientID[c.Record.Client.ClientID] = c.Record.Client.ID
		created[i] = true
		events = append(events, c.Events...)
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return created, nil
}

// Get implements clients.Store.
func (s *Store) Get(_ context.Context, realm iam.Realm, id string) (clients.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rc, ok := s.realms[realm]
	if !ok {
		return clients.Record{}, notFound()
	}
	rec, ok := rc.byID[id]
	if !ok {
		return clients.Record{}, notFound()
	}
	return clone(rec), nil
}

// GetByClientID implements clients.Store.
func (s *Store) GetByClientID(_ context.Context, realm iam.Realm, clientID string) (clients.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rc, ok := s.realms[realm]
	if !ok {
		return clients.Record{}, notFound()
	}
	id, ok := rc.byClientID[clientID]
	if !ok {
		return clients.Record{}, notFound()
	}
	return clone(rc.byID[id]), nil
}

// List implements clients.Store.
func (s *Store) List(_ context.Context, realm iam.Realm, f clients.Filter) ([]clients.Client, error) {
	s.mu.RLock()
	rc, ok := s.realms[realm]
	var matched []clients.Client
	if ok {
		needle := strings.ToLower(f.ClientID)
		for _, rec := range rc.byID {
			c := rec.Client
			switch {
			case f.ClientID == "":
			case f.Search && strings.Contains(strings.ToLower(c.ClientID), needle):
			case !f.Search && c.ClientID == f.ClientID:
			default:
				continue
			}
			matched = append(matched, c.Clone())
		}
	}
	s.mu.RUnlock()
	sort.Slice(matched, func(i, j int) bool { return matched[i].ClientID < matched[j].ClientID })
	if f.First >= len(matched) {
		return []clients.Client{}, nil
	}
	matched = matched[f.First:]
	if f.Max > 0 && len(matched) > f.Max {
		matched = matched[:f.Max]
	}
	return matched, nil
}

// Update implements clients.Store.
func (s *Store) Update(ctx context.Context, realm iam.Realm, id string, fn func(*clients.Record) ([]iam.Event, error)) (clients.Record, error) {
	s.mu.Lock()
	rc, ok := s.realms[realm]
	if !ok {
		s.mu.Unlock()
		return clients.Record{}, notFound()
	}
	cur, ok := rc.byID[id]
	if !ok {
		s.mu.Unlock()
		return clients.Record{}, notFound()
	}
	next := clone(cur)
	events, err := fn(&next)
	if err != nil {
		s.mu.Unlock()
		return clients.Record{}, err
	}
	next.Client.ID, next.Client.Realm, next.Client.CreatedAt = cur.Client.ID, cur.Client.Realm, cur.Client.CreatedAt
	if next.Client.ClientID != cur.Client.ClientID {
		if _, taken := rc.byClientID[next.Client.ClientID]; taken {
			s.mu.Unlock()
			return clients.Record{}, conflictClientID(next.Client.ClientID)
		}
		delete(rc.byClientID, cur.Client.ClientID)
		rc.byClientID[next.Client.ClientID] = id
	}
	next = s.withVerifier(next)
	rc.byID[id] = clone(next)
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return next, nil
}

// withVerifier returns rec with the verifier of its secret (none without).
func (s *Store) withVerifier(rec clients.Record) clients.Record {
	rec.SecretHash = nil
	if rec.Secret != "" {
		rec.SecretHash = s.mac.Sum(clients.SecretMACInput(rec.Client.Realm, rec.Client.ID, rec.Secret))
	}
	return rec
}

// MatchSecret implements clients.Store: the verifier is an HMAC under this
// Store's key, never stale.
func (s *Store) MatchSecret(realm iam.Realm, id string, hash []byte, secret string) (match, stale bool) {
	ok, _ := s.mac.Verify(clients.SecretMACInput(realm, id, secret), hash)
	return ok, false
}

// Delete implements clients.Store.
func (s *Store) Delete(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	s.mu.Lock()
	rc, ok := s.realms[realm]
	if !ok {
		s.mu.Unlock()
		return notFound()
	}
	rec, ok := rc.byID[id]
	if !ok {
		s.mu.Unlock()
		return notFound()
	}
	delete(rc.byID, id)
	delete(rc.byClientID, rec.Client.ClientID)
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// DeleteRealm implements clients.Store.
func (s *Store) DeleteRealm(_ context.Context, realm iam.Realm) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if rc, ok := s.realms[realm]; ok {
		n = len(rc.byID)
	}
	delete(s.realms, realm)
	return n, nil
}

// Atomically implements clients.Store: fn works on a scratch Store holding
// a copy of realm's clients, which replaces them when fn returns nil (its
// events then published); the store's lock is held throughout, so no other
// change is lost and no reader sees half of fn's work.
func (s *Store) Atomically(ctx context.Context, realm iam.Realm, fn func(clients.Store) error) error {
	var events iammem.Collector
	scratch := &Store{log: s.log, once: s.once, mac: s.mac, realms: map[iam.Realm]*realmClients{}}
	scratch.events = iammem.NewPublisher(&events, s.log, "clientsmem")
	s.mu.Lock()
	if rc, ok := s.realms[realm]; ok {
		c := &realmClients{byID: make(map[string]clients.Record, len(rc.byID)), byClientID: maps.Clone(rc.byClientID)}
		for id, rec := range rc.byID {
			c.byID[id] = clone(rec)
		}
		scratch.realms[realm] = c
	}
	if err := fn(scratch); err != nil {
		s.mu.Unlock()
		return err
	}
	if rc, ok := scratch.realms[realm]; ok {
		s.realms[realm] = rc
	} else {
		delete(s.realms, realm)
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events.Events())
	return nil
}

// Once implements clients.Store with iammem.Once: fn runs on this store,
// at most once per (consumer, event id) that succeeded, atomically with
// concurrent deliveries; the record is kept in memory only.
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(clients.Store) error) error {
	return s.once.Do(ctx, consumer, eventID, func() error { return fn(s) })
}

func notFound() error { return iam.NotFoundf("client not found") }

func conflictClientID(clientID string) error {
	return iam.Duplicatef("clientId", "client %q already exists", clientID)
}
