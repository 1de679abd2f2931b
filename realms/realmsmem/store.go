package realmsmem

import (
	"context"
	"log/slog"
	"sort"
	"sync"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iammem"
	"github.com/opengate-iam/opengate/realms"
)

// Store is an in-memory realms.Store, safe for concurrent use. The zero
// value is not usable; call New.
type Store struct {
	log    *slog.Logger
	events *iammem.Publisher

	mu     sync.RWMutex
	realms map[iam.Realm]realms.Realm
}

var _ realms.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithLogger sets the logger that reports events that could not be
// published (slog.Default() by default).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// New returns an empty Store that publishes its events to pub (nil: none).
func New(pub iam.Publisher, opts ...Option) *Store {
	s := &Store{log: slog.Default(), realms: map[iam.Realm]realms.Realm{}}
	for _, o := range opts {
		o(s)
	}
	s.events = iammem.NewPublisher(pub, s.log, "realmsmem")
	return s
}

// Create implements realms.Store.
func (s *Store) Create(ctx context.Context, r realms.Realm, events ...iam.Event) error {
	s.mu.Lock()
	if _, ok := s.realms[r.Name]; ok {
		s.mu.Unlock()
		return iam.Duplicatef("realm", "realm %q already exists", r.Name)
	}
	s.realms[r.Name] = r.Clone()
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// Get implements realms.Store.
func (s *Store) Get(_ context.Context, name iam.Realm) (realms.Realm, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.realms[name]
	if !ok {
		return realms.Realm{}, notFound(name)
	}
	return r.Clone(), nil
}

// List implements realms.Store.
func (s *Store) List(_ context.Context) ([]realms.Realm, error) {
	s.mu.RLock()
	out := make([]realms.Realm, 0, len(s.realms))
	for _, r := range s.realms {
		out = append(out, r.Clone())
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Update implements realms.Store.
func (s *Store) Update(ctx context.Context, name iam.Realm, fn func(*realms.Realm) ([]iam.Event, error)) (realms.Realm, error) {
	s.mu.Lock()
	cur, ok := s.realms[name]
	if !ok {
		s.mu.Unlock()
		return realms.Realm{}, notFound(name)
	}
	next := cur.Clone()
	events, err := fn(&next)
	if err != nil {
		s.mu.Unlock()
		return realms.Realm{}, err
	}
	next.Name, next.ID = name, cur.ID
	next.CreatedAt = cur.CreatedAt
	s.realms[name] = next.Clone()
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return next, nil
}

// Delete implements realms.Store.
func (s *Store) Delete(ctx context.Context, name iam.Realm, events ...iam.Event) error {
	s.mu.Lock()
	if _, ok := s.realms[name]; !ok {
		s.mu.Unlock()
		return notFound(name)
	}
	delete(s.realms, name)
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

func notFound(name iam.Realm) error {
	return iam.NotFoundf("realm %q not found", name)
}
