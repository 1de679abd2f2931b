package sessionmem

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
)

// sweepEvery is how often writes sweep expired sessions and forgotten ids
// from memory.
const sweepEvery = time.Minute

// Store is a session.Store in memory. It is safe for concurrent use.
type Store struct {
	now func() time.Time

	mu        sync.Mutex
	realms    map[iam.Realm]*realmState
	lastSweep time.Time
}

var _ session.Store = (*Store)(nil)

// realmState is one realm's sessions.
type realmState struct {
	sessions map[string]*session.Session // active, or expired and not swept yet
	ended    map[string]time.Time        // ended ids → when they may be forgotten
	pending  map[string]pending          // session id → its unpublished event
}

type pending struct {
	event iam.Event
	at    time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that expires sessions (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{now: time.Now, realms: map[iam.Realm]*realmState{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// realm returns realm's state, made if missing when create is set (nil
// otherwise). Callers hold s.mu.
func (s *Store) realm(realm iam.Realm, create bool) *realmState {
	r := s.realms[realm]
	if r == nil && create {
		r = &realmState{sessions: map[string]*session.Session{}, ended: map[string]time.Time{}, pending: map[string]pending{}}
		s.realms[realm] = r
	}
	return r
}

// active returns session id of r if it is active at now, moving it to the
// ended ids if it has expired. Callers hold s.mu.
func (r *realmState) active(id string, now time.Time) *session.Session {
	sess := r.sessions[id]
	if sess == nil {
		return nil
	}
	if !sess.Active(now) {
		delete(r.sessions, id)
		r.ended[id] = sess.ExpiresAt
		return nil
	}
	return sess
}

// sweep drops expired sessions and forgotten ids, at most once per
// sweepEvery. Callers hold s.mu.
func (s *Store) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = now
	for _, r := range s.realms {
		for id := range r.sessions {
			r.active(id, now)
		}
		for id, until := range r.ended {
			if !now.Before(until) {
				delete(r.ended, id)
			}
		}
	}
}

// Create records or joins a session; see session.Store.
func (s *Store) Create(_ context.Context, in session.Session) (session.Session, error) {
	now := s.now()
	if err := session.CheckCreate(in, now); err != nil {
		return session.Session{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	r := s.realm(in.Realm, true)
	if cur := r.active(in.ID, now); cur != nil {
		if cur.Clients == nil && len(in.Clients) > 0 {
			cur.Clients = map[string]string{}
		}
		maps.Copy(cur.Clients, in.Clients)
		advance(cur, in.LastAccess, in.IdleExpiresAt)
		return cur.Clone(), nil
	}
	if until, ok := r.ended[in.ID]; ok && now.Before(until) {
		return session.Session{}, iam.Conflictf("session %s has ended", in.ID)
	}
	stored := in.Clone()
	r.sessions[in.ID] = &stored
	return stored.Clone(), nil
}

// advance moves sess's last access and idle expiry to at and idle when
// later, the idle expiry never past the session's end.
func advance(sess *session.Session, at, idle time.Time) {
	if at.After(sess.LastAccess) {
		sess.LastAccess = at
	}
	idle = minTime(idle, sess.ExpiresAt)
	if idle.After(sess.IdleExpiresAt) {
		sess.IdleExpiresAt = idle
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Get returns an active session.
func (s *Store) Get(_ context.Context, realm iam.Realm, id string) (session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.realm(realm, false); r != nil {
		if sess := r.active(id, s.now()); sess != nil {
			return sess.Clone(), nil
		}
	}
	return session.Session{}, iam.NotFoundf("session not found")
}

// State returns what the store knows of id.
func (s *Store) State(_ context.Context, realm iam.Realm, id string) (session.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.realm(realm, false)
	if r == nil {
		return session.Unknown, nil
	}
	now := s.now()
	if r.active(id, now) != nil {
		return session.Active, nil
	}
	if until, ok := r.ended[id]; ok && now.Before(until) {
		return session.Ended, nil
	}
	return session.Unknown, nil
}

// Touch records a use of an active session.
func (s *Store) Touch(_ context.Context, realm iam.Realm, id string, at, idle time.Time) (session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.realm(realm, false); r != nil {
		if sess := r.active(id, s.now()); sess != nil {
			advance(sess, at, idle)
			return sess.Clone(), nil
		}
	}
	return session.Session{}, iam.NotFoundf("session not found")
}

// List returns the active sessions f selects.
func (s *Store) List(_ context.Context, realm iam.Realm, f session.Filter) ([]session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.realm(realm, false)
	if r == nil {
		return nil, nil
	}
	now := s.now()
	var out []session.Session
	for id := range r.sessions {
		sess := r.active(id, now)
		if sess == nil || (f.UserID != "" && sess.UserID != f.UserID) {
			continue
		}
		if _, ok := sess.Clients[f.ClientUUID]; f.ClientUUID != "" && !ok {
			continue
		}
		out = append(out, sess.Clone())
	}
	slices.SortFunc(out, func(a, b session.Session) int {
		return cmp.Or(a.ExpiresAt.Compare(b.ExpiresAt), cmp.Compare(a.ID, b.ID))
	})
	return page(out, f.First, f.Max), nil
}

func page(list []session.Session, first, max int) []session.Session {
	if first >= len(list) {
		return nil
	}
	list = list[first:]
	if max > 0 && max < len(list) {
		list = list[:max]
	}
	return list
}

// Stats counts active sessions per client.
func (s *Store) Stats(_ context.Context, realm iam.Realm) ([]session.ClientStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.realm(realm, false)
	if r == nil {
		return nil, nil
	}
	now := s.now()
	counts := map[string]*session.ClientStats{}
	for id := range r.sessions {
		sess := r.active(id, now)
		if sess == nil {
			continue
		}
		for uuid, clientID := range sess.Clients {
			c := counts[uuid]
			if c == nil {
				c = &session.ClientStats{ClientUUID: uuid, ClientID: clientID}
				counts[uuid] = c
			}
			c.Active++
		}
	}
	out := make([]session.ClientStats, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b session.ClientStats) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.ClientUUID, b.ClientUUID))
	})
	return out, nil
}

// Terminate ends an active session and records its event as pending.
func (s *Store) Terminate(_ context.Context, realm iam.Realm, id string, event func(session.Session) (iam.Event, error)) (session.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r := s.realm(realm, false)
	var sess *session.Session
	if r != nil {
		sess = r.active(id, now)
	}
	if sess == nil {
		return session.Session{}, iam.NotFoundf("session not found")
	}
	e, err := event(sess.Clone())
	if err != nil {
		return session.Session{}, err
	}
	delete(r.sessions, id)
	r.ended[id] = sess.ExpiresAt
	r.pending[id] = pending{event: e, at: now}
	return sess.Clone(), nil
}

// Forbid records an unknown id as ended.
func (s *Store) Forbid(_ context.Context, realm iam.Realm, id string, until time.Time) (bool, error) {
	if err := realm.Validate(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now)
	r := s.realm(realm, true)
	if r.active(id, now) != nil {
		return false, nil
	}
	if prev, ok := r.ended[id]; ok && now.Before(prev) {
		return false, nil
	}
	r.ended[id] = until
	return true, nil
}

// Pending returns unpublished events recorded before before.
func (s *Store) Pending(_ context.Context, before time.Time, limit int) ([]iam.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []pending
	for _, r := range s.realms {
		for _, p := range r.pending {
			if p.at.Before(before) {
				all = append(all, p)
			}
		}
	}
	slices.SortFunc(all, func(a, b pending) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.event.ID, b.event.ID)) })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	out := make([]iam.Event, len(all))
	for i, p := range all {
		out[i] = p.event
		out[i].Data = slices.Clone(p.event.Data)
	}
	return out, nil
}

// Published forgets the pending event of session id.
func (s *Store) Published(_ context.Context, realm iam.Realm, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.realm(realm, false); r != nil {
		delete(r.pending, id)
	}
	return nil
}

// DeleteRealm forgets everything of realm.
func (s *Store) DeleteRealm(_ context.Context, realm iam.Realm) error {
	if err := realm.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.realms, realm)
	return nil
}
