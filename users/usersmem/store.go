package usersmem

import (
	"context"
	"log/slog"
	"sync"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iammem"
	"github.com/opengate-iam/opengate/users"
)

// Store is an in-memory users.Store, safe for concurrent use. The zero value
// is not usable; call New.
type Store struct {
	log    *slog.Logger
	events *iammem.Publisher
	once   *iammem.Once

	mu     sync.RWMutex
	realms map[iam.Realm]*realmData
}

var _ users.Store = (*Store)(nil)

// realmData holds one realm's users and tokens.
type realmData struct {
	users   map[string]*record           // by id
	byName  map[string]string            // username → id
	byEmail map[string]string            // email → id, for users written with UniqueEmail
	tokens  map[string]users.ActionToken // by hash
}

// record is a stored user with its credentials.
type record struct {
	user        users.User
	uniqueEmail bool
	password    *users.Credential
	history     []string // earlier hashes, newest first
}

// Option configures a Store.
type Option func(*Store)

// WithLogger sets the logger that reports events that could not be
// published (slog.Default() by default).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// New returns an empty Store that publishes its events to pub (nil: none).
func New(pub iam.Publisher, opts ...Option) *Store {
	s := &Store{log: slog.Default(), realms: map[iam.Realm]*realmData{}, once: iammem.NewOnce(0)}
	for _, o := range opts {
		o(s)
	}
	s.events = iammem.NewPublisher(pub, s.log, "usersmem")
	return s
}

// unlockAndPublish publishes events after a change (see
// iammem.Publisher.UnlockAndPublish). It must be called with s.mu held for
// writing; it releases s.mu.
func (s *Store) unlockAndPublish(ctx context.Context, events []iam.Event) {
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
}

// realm returns the realm's data, creating it when create is set (else nil
// for an unknown realm).
func (s *Store) realm(name iam.Realm, create bool) *realmData {
	r := s.realms[name]
	if r == nil && create {
		r = &realmData{users: map[string]*record{}, byName: map[string]string{}, byEmail: map[string]string{},
			tokens: map[string]users.ActionToken{}}
		s.realms[name] = r
	}
	return r
}

// get returns the record of id in realm, or nil.
func (s *Store) get(realm iam.Realm, id string) *record {
	r := s.realm(realm, false)
	if r == nil {
		return nil
	}
	return r.users[id]
}

func notFound() error { return iam.NotFoundf("user not found") }

func errUsernameTaken() error {
	return iam.Duplicatef("username", "a user with this username already exists")
}

func errIDTaken() error { return iam.Duplicatef("id", "a user with this id already exists") }

// checkCase enforces the Store's contract that usernames and emails arrive
// lowercase.
func checkCase(u users.User) error {
	if u.Username != users.NormalizeUsername(u.Username) {
		return iam.Invalidf("username", "username must be lowercase")
	}
	if u.Email != users.NormalizeEmail(u.Email) {
		return iam.Invalidf("email", "email must be lowercase")
	}
	return nil
}

// taken reports a conflict of u (id u.ID) with another user of r.
func (r *realmData) taken(u users.User, uniqueEmail bool) error {
	if id, ok := r.byName[u.Username]; ok && id != u.ID {
		return errUsernameTaken()
	}
	if uniqueEmail && u.Email != "" {
		if id, ok := r.byEmail[u.Email]; ok && id != u.ID {
			return iam.Duplicatef("email", "a user with this email already exists")
		}
	}
	return nil
}

// put stores rec, replacing the indexes of what was stored under its id.
func (r *realmData) put(rec *record) {
	if old := r.users[rec.user.ID]; old != nil {
		delete(r.byName, old.user.Username)
		if old.uniqueEmail && r.byEmail[old.user.Email] == old.user.ID {
			delete(r.byEmail, old.user.Email)
		}
	}
	r.users[rec.user.ID] = rec
	r.byName[rec.user.Username] = rec.user.ID
	if rec.uniqueEmail && rec.user.Email != "" {
		r.byEmail[rec.user.Email] = rec.user.ID
	}
}

// remove deletes the user id with its tokens.
func (r *realmData) remove(id string) {
	rec := r.users[id]
	if rec == nil {
		return
	}
	delete(r.byName, rec.user.Username)
	if rec.uniqueEmail && r.byEmail[rec.user.Email] == id {
		delete(r.byEmail, rec.user.Email)
	}
	delete(r.users, id)
	for h, t := range r.tokens {
		if t.UserID == id {
			delete(r.tokens, h)
		}
	}
}

// Create implements users.Store.
func (s *Store) Create(ctx context.Context, u users.User, opts users.CreateOptions, events ...iam.Event) error {
	if err := checkCase(u); err != nil {
		return err
	}
	s.mu.Lock()
	r := s.realm(u.Realm, true)
	if _, ok := r.users[u.ID]; ok {
		s.mu.Unlock()
		return errIDTaken()
	}
	if err := r.taken(u, opts.UniqueEmail); err != nil {
		s.mu.Unlock()
		return err
	}
	rec := &record{user: u.Clone(), uniqueEmail: opts.UniqueEmail}
	if opts.Password != nil {
		c := *opts.Password
		rec.password = &c
	}
	r.put(rec)
	s.unlockAndPublish(ctx, events)
	return nil
}

// Get implements users.Store.
func (s *Store) Get(_ context.Context, realm iam.Realm, id string) (users.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.get(realm, id)
	if rec == nil {
		return users.User{}, notFound()
	}
	return rec.user.Clone(), nil
}

// GetByUsername implements users.Store.
func (s *Store) GetByUsername(_ context.Context, realm iam.Realm, username string) (users.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.realm(realm, false)
	if r == nil {
		return users.User{}, notFound()
	}
	id, ok := r.byName[username]
	if !ok {
		return users.User{}, notFound()
	}
	return r.users[id].user.Clone(), nil
}

// GetByEmail implements users.Store.
func (s *Store) GetByEmail(_ context.Context, realm iam.Realm, email string) (users.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.realm(realm, false)
	if r == nil || email == "" {
		return users.User{}, notFound()
	}
	var found *record
	for _, rec := range r.users {
		if rec.user.Email != email {
			continue
		}
		if found != nil {
			return users.User{}, iam.Conflictf("several users have this email")
		}
		found = rec
	}
	if found == nil {
		return users.User{}, notFound()
	}
	return found.user.Clone(), nil
}

// Update implements users.Store: fn runs under the store's write lock.
func (s *Store) Update(ctx context.Context, realm iam.Realm, id string, opts users.UpdateOptions, fn func(*users.User) ([]iam.Event, error)) (users.User, error) {
	s.mu.Lock()
	old := s.get(realm, id)
	if old == nil {
		s.mu.Unlock()
		return users.User{}, notFound()
	}
	u := old.user.Clone()
	events, err := fn(&u)
	if err != nil {
		s.mu.Unlock()
		return users.User{}, err
	}
	u.ID, u.Realm, u.CreatedAt = old.user.ID, old.user.Realm, old.user.CreatedAt
	if err := checkCase(u); err != nil {
		s.mu.Unlock()
		return users.User{}, err
	}
	r := s.realm(realm, false)
	if err := r.taken(u, opts.UniqueEmail); err != nil {
		s.mu.Unlock()
		return users.User{}, err
	}
	next := *old
	next.user = u.Clone()
	next.uniqueEmail = opts.UniqueEmail
	r.put(&next)
	s.unlockAndPublish(ctx, events)
	return u, nil
}

// Delete implements users.Store.
func (s *Store) Delete(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	s.mu.Lock()
	if s.get(realm, id) == nil {
		s.mu.Unlock()
		return notFound()
	}
	s.realm(realm, false).remove(id)
	s.unlockAndPublish(ctx, events)
	return nil
}

// DeleteRealm implements users.Store.
func (s *Store) DeleteRealm(_ context.Context, realm iam.Realm) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.realm(realm, false)
	if r == nil {
		return 0, nil
	}
	delete(s.realms, realm)
	return len(r.users), nil
}

// Import implements users.Store.
func (s *Store) Import(ctx context.Context, realm iam.Realm, b users.ImportBatch) ([]users.ImportOutcome, error) {
	for _, it := range b.Items {
		if err := checkCase(it.User); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	r := s.realm(realm, true)
	// Plan every item against the current state and the batch itself, then
	// apply: nothing changes unless everything can.
	planned := &realmData{users: map[string]*record{}, byName: map[string]string{}, byEmail: map[string]string{}}
	for id, rec := range r.users {
		planned.users[id] = rec
	}
	for k, v := range r.byName {
		planned.byName[k] = v
	}
	for k, v := range r.byEmail {
		planned.byEmail[k] = v
	}
	outcomes := make([]users.ImportOutcome, 0, len(b.Items))
	for _, it := range b.Items {
		rec := &record{user: it.User.Clone(), uniqueEmail: b.UniqueEmail}
		if it.Password != nil {
			c := *it.Password
			rec.password = &c
		}
		action := users.ImportAdded
		if id, exists := planned.byName[it.User.Username]; exists {
			switch b.Mode {
			case users.ImportSkip:
				outcomes = append(outcomes, users.ImportOutcome{Action: users.ImportSkipped, User: planned.users[id].user.Clone()})
				continue
			case users.ImportOverwrite:
				old := planned.users[id]
				if b.MayOverwrite != nil {
					if err := b.MayOverwrite(old.user.Clone()); err != nil {
						s.mu.Unlock()
						return nil, err
					}
				}
				rec.user.ID, rec.user.CreatedAt = old.user.ID, old.user.CreatedAt
				rec.history = old.history
				action = users.ImportOverwritten
			default:
				s.mu.Unlock()
				return nil, errUsernameTaken()
			}
		} else if _, idTaken := planned.users[it.User.ID]; idTaken {
			s.mu.Unlock()
			return nil, errIDTaken()
		}
		if err := planned.taken(rec.user, b.UniqueEmail); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		planned.put(rec)
		outcomes = append(outcomes, users.ImportOutcome{Action: action, User: rec.user.Clone()})
	}
	r.users, r.byName, r.byEmail = planned.users, planned.byName, planned.byEmail
	var events []iam.Event
	if b.Events != nil {
		for _, o := range outcomes {
			events = append(events, b.Events(o)...)
		}
	}
	s.unlockAndPublish(ctx, events)
	return outcomes, nil
}

// Once implements users.Store with iammem.Once: fn runs on this store, at
// most once per (consumer, event id) that succeeded, atomically with
// concurrent deliveries; the record is kept in memory only.
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(users.Store) error) error {
	return s.once.Do(ctx, consumer, eventID, func() error { return fn(s) })
}
