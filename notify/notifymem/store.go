package notifymem

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iammem"
	"github.com/opengate-iam/opengate/notify"
)

// DefaultLimit is how many deliveries per realm a Store keeps by default.
const DefaultLimit = 10_000

// Store is an in-memory notify.Store, safe for concurrent use. The zero
// value is not usable; call New.
type Store struct {
	once  *iammem.Once
	limit int

	mu        sync.Mutex
	realms    map[iam.Realm]*realmData
	failures  map[key]notify.Failures
	templates map[templateKey]notify.Template
}

// realmData is one realm's deliveries, by id and by (event, kind), and
// the owners of their current claims.
type realmData struct {
	byID    map[string]notify.Delivery
	byEvent map[eventKey]string
	owners  map[string]string // delivery id → owner of its claim
}

type key struct {
	realm iam.Realm
	id    string
}

type eventKey struct {
	eventID string
	kind    notify.Kind
}

type templateKey struct {
	realm  iam.Realm
	kind   notify.Kind
	locale string
}

var _ notify.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithLimit keeps at most n deliveries per realm (n <= 0: DefaultLimit):
// recording one more forgets the oldest sent or failed one. Pending
// deliveries are never forgotten.
func WithLimit(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.limit = n
		}
	}
}

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{once: iammem.NewOnce(0), limit: DefaultLimit, realms: map[iam.Realm]*realmData{},
		failures: map[key]notify.Failures{}, templates: map[templateKey]notify.Template{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Store) realmLocked(realm iam.Realm) *realmData {
	rd, ok := s.realms[realm]
	if !ok {
		rd = &realmData{byID: map[string]notify.Delivery{}, byEvent: map[eventKey]string{}, owners: map[string]string{}}
		s.realms[realm] = rd
	}
	return rd
}

// Enqueue implements notify.Store.
func (s *Store) Enqueue(_ context.Context, d notify.Delivery) (notify.Delivery, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rd := s.realmLocked(d.Realm)
	if id, ok := rd.byEvent[eventKey{d.EventID, d.Kind}]; ok {
		return rd.byID[id].Clone(), false, nil
	}
	if _, ok := rd.byID[d.ID]; ok {
		return notify.Delivery{}, false, iam.Duplicatef("id", "a delivery with this id already exists")
	}
	rd.byID[d.ID] = d.Clone()
	rd.byEvent[eventKey{d.EventID, d.Kind}] = d.ID
	s.trimLocked(rd)
	return d.Clone(), true, nil
}

// trimLocked forgets the oldest settled deliveries beyond the limit.
func (s *Store) trimLocked(rd *realmData) {
	if len(rd.byID) <= s.limit {
		return
	}
	var settled []notify.Delivery
	for _, d := range rd.byID {
		if d.Status != notify.StatusPending {
			settled = append(settled, d)
		}
	}
	sortNewestFirst(settled)
	for i := len(settled) - 1; i >= 0 && len(rd.byID) > s.limit; i-- {
		d := settled[i]
		delete(rd.byID, d.ID)
		delete(rd.byEvent, eventKey{d.EventID, d.Kind})
		delete(rd.owners, d.ID)
	}
}

func sortNewestFirst(ds []notify.Delivery) {
	slices.SortFunc(ds, func(a, b notify.Delivery) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
}

func notFound() error { return iam.Errorf(iam.CodeNotFound, "delivery not found") }

// Get implements notify.Store.
func (s *Store) Get(_ context.Context, realm iam.Realm, id string) (notify.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.realmLocked(realm).byID[id]
	if !ok {
		return notify.Delivery{}, notFound()
	}
	return d.Clone(), nil
}

// List implements notify.Store.
func (s *Store) List(_ context.Context, realm iam.Realm, f notify.Filter) ([]notify.Delivery, error) {
	s.mu.Lock()
	var out []notify.Delivery
	for _, d := range s.realmLocked(realm).byID {
		if f.Matches(d) {
			out = append(out, d.Clone())
		}
	}
	s.mu.Unlock()
	sortNewestFirst(out)
	first := min(max(f.First, 0), len(out))
	out = out[first:]
	if f.Max > 0 && len(out) > f.Max {
		out = out[:f.Max]
	}
	return out, nil
}

// Update implements notify.Store.
func (s *Store) Update(_ context.Context, realm iam.Realm, id string, fn func(*notify.Delivery) error) (notify.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rd := s.realmLocked(realm)
	cur, ok := rd.byID[id]
	if !ok {
		return notify.Delivery{}, notFound()
	}
	next := cur.Clone()
	if err := fn(&next); err != nil {
		return notify.Delivery{}, err
	}
	next.ID, next.Realm, next.EventID, next.Kind, next.CreatedAt = cur.ID, cur.Realm, cur.EventID, cur.Kind, cur.CreatedAt
	if next.Status != notify.StatusPending {
		next.NextAttemptAt = time.Time{}
	}
	rd.byID[id] = next.Clone()
	delete(rd.owners, id) // an update ends the claim
	return next, nil
}

// Claim implements notify.Store.
func (s *Store) Claim(_ context.Context, owner string, now time.Time, lease time.Duration, max int) ([]notify.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []notify.Delivery
	for _, rd := range s.realms {
		for _, d := range rd.byID {
			if d.Status == notify.StatusPending && !d.NextAttemptAt.After(now) {
				due = append(due, d)
			}
		}
	}
	slices.SortFunc(due, func(a, b notify.Delivery) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if max >= 0 && len(due) > max {
		due = due[:max]
	}
	out := make([]notify.Delivery, 0, len(due))
	for _, d := range due {
		d.Attempts++
		d.NextAttemptAt = now.Add(lease)
		rd := s.realms[d.Realm]
		rd.byID[d.ID] = d
		if owner != "" {
			rd.owners[d.ID] = owner
		} else {
			delete(rd.owners, d.ID)
		}
		out = append(out, d.Clone())
	}
	return out, nil
}

// ReleaseClaims implements notify.Store.
func (s *Store) ReleaseClaims(_ context.Context, owner string, now time.Time) (int, error) {
	if owner == "" {
		return 0, iam.Invalidf("owner", "claims without an owner cannot be released")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rd := range s.realms {
		for id, o := range rd.owners {
			d, ok := rd.byID[id]
			if o != owner || !ok || d.Status != notify.StatusPending || !d.NextAttemptAt.After(now) {
				continue
			}
			d.NextAttemptAt = now
			rd.byID[id] = d
			delete(rd.owners, id)
			n++
		}
	}
	return n, nil
}

// UpdateFailures implements notify.Store.
func (s *Store) UpdateFailures(_ context.Context, realm iam.Realm, userID string, fn func(*notify.Failures) error) (notify.Failures, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{realm, userID}
	cur, ok := s.failures[k]
	if !ok {
		cur = notify.Failures{Realm: realm, UserID: userID}
	}
	if err := fn(&cur); err != nil {
		return notify.Failures{}, err
	}
	cur.Realm, cur.UserID = realm, userID
	s.failures[k] = cur
	return cur, nil
}

// DeleteFailures implements notify.Store.
func (s *Store) DeleteFailures(_ context.Context, realm iam.Realm, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, key{realm, userID})
	return nil
}

// PutTemplate implements notify.Store.
func (s *Store) PutTemplate(_ context.Context, t notify.Template) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[templateKey{t.Realm, t.Kind, t.Locale}] = t
	return nil
}

// GetTemplate implements notify.Store.
func (s *Store) GetTemplate(_ context.Context, realm iam.Realm, kind notify.Kind, locale string) (notify.Template, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.templates[templateKey{realm, kind, locale}]
	if !ok {
		return notify.Template{}, iam.Errorf(iam.CodeNotFound, "template not found")
	}
	return t, nil
}

// ListTemplates implements notify.Store.
func (s *Store) ListTemplates(_ context.Context, realm iam.Realm) ([]notify.Template, error) {
	s.mu.Lock()
	var out []notify.Template
	for k, t := range s.templates {
		if k.realm == realm {
			out = append(out, t)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b notify.Template) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Locale, b.Locale))
	})
	return out, nil
}

// DeleteTemplate implements notify.Store.
func (s *Store) DeleteTemplate(_ context.Context, realm iam.Realm, kind notify.Kind, locale string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := templateKey{realm, kind, locale}
	if _, ok := s.templates[k]; !ok {
		return iam.Errorf(iam.CodeNotFound, "template not found")
	}
	delete(s.templates, k)
	return nil
}

// DeleteRealm implements notify.Store.
func (s *Store) DeleteRealm(_ context.Context, realm iam.Realm) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.realmLocked(realm).byID)
	delete(s.realms, realm)
	for k := range s.failures {
		if k.realm == realm {
			delete(s.failures, k)
		}
	}
	for k := range s.templates {
		if k.realm == realm {
			delete(s.templates, k)
		}
	}
	return n, nil
}

// Once implements notify.Store with iammem.Once: fn's store is s itself
// (there is no transaction in memory, so what fn changed before failing
// stays changed).
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(notify.Store) error) error {
	return s.once.Do(ctx, consumer, eventID, func() error { return fn(s) })
}

// Prune implements notify.Store.
func (s *Store) Prune(_ context.Context, realm iam.Realm, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rd := s.realmLocked(realm)
	n := 0
	for id, d := range rd.byID {
		if d.Status != notify.StatusPending && d.CreatedAt.Before(before) {
			delete(rd.byID, id)
			delete(rd.byEvent, eventKey{d.EventID, d.Kind})
			delete(rd.owners, id)
			n++
		}
	}
	return n, nil
}
