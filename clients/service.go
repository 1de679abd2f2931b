package clients

import (
	"context"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// Page sizes of List.
const (
	DefaultPageSize = 1000
	MaxPageSize     = 1000
)

// SecretBytes is the size of generated secrets: 256 bits.
const SecretBytes = 32

// Reader is what other services need from clients: *Service (in-process),
// *CachedReader and the remote clientshttp.Client implement it. Callers
// usually declare a subset in their own package.
type Reader interface {
	// Get returns client id (the UUID) of realm, or CodeNotFound.
	Get(ctx context.Context, realm iam.Realm, id string) (Client, error)
	// GetByClientID returns the client with public clientId of realm, or
	// CodeNotFound.
	GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (Client, error)
	// Authenticate returns the enabled client clientID of realm when secret
	// is its secret (or, for a public client, when secret is empty).
	// Everything else is the same CodeUnauthenticated error.
	Authenticate(ctx context.Context, realm iam.Realm, clientID, secret string) (Client, error)
}

// Service holds the rules of clients: validation, secrets (generated,
// sealed at rest, hashed for authentication, rotated), events, the default
// admin-cli client, and a cache for the reads and authentications of the
// token endpoint. It is safe for concurrent use.
type Service struct {
	store Store
	cache *clientCache
	now   func() time.Time
	roles iam.RoleReader // nil: the rule of power.go is not enforced
}

var _ Reader = (*Service)(nil)

// Option configures a Service.
type Option func(*serviceConfig)

type serviceConfig struct {
	ttl   time.Duration
	now   func() time.Time
	roles iam.RoleReader
}

// WithCacheTTL bounds how long a client is served from the cache without an
// invalidation (DefaultCacheTTL by default).
func WithCacheTTL(ttl time.Duration) Option {
	return func(c *serviceConfig) { c.ttl = ttl }
}

// WithClock sets the clock that stamps CreatedAt and UpdatedAt and expires
// cache entries (tests).
func WithClock(now func() time.Time) Option {
	return func(c *serviceConfig) { c.now = now }
}

// New returns a Service over store. Secrets are sealed at rest by the store
// (clientspg requires the deployment key), never here.
func New(store Store, opts ...Option) *Service {
	cfg := serviceConfig{ttl: DefaultCacheTTL, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	return &Service{store: store, cache: newClientCache(cfg.ttl, cfg.now), now: cfg.now, roles: cfg.roles}
}

// timestamp is the service clock in UTC at microsecond precision (what
// PostgreSQL keeps).
func (s *Service) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// setSecret makes secret rec's secret ("": none). The store computes its
// verifier (SecretHash) when it writes rec.
func setSecret(rec *Record, secret string) {
	rec.SecretHash, rec.Secret = nil, secret
}

// Create creates client c in realm. An empty c.ID gets a new UUID; a given
// one must be a lowercase UUID. A confidential client gets secret, or a
// generated 256-bit secret when secret is empty; a public client must not
// be given one. It records client.created. Errors: CodeInvalid naming the
// field, CodeConflict if the clientId (or id) is taken in the realm.
func (s *Service) Create(ctx context.Context, realm iam.Realm, c Client, secret string) (Client, error) {
	rec, err := s.create(ctx, s.store, realm, c, secret)
	if err != nil {
		return Client{}, iam.Wrap("clients.Create", err)
	}
	return rec.Client, nil
}

func (s *Service) create(ctx context.Context, st Store, realm iam.Realm, c Client, secret string) (Record, error) {
	rec, e, err := s.newRecord(realm, c, secret)
	if err != nil {
		return Record{}, err
	}
	if err := st.Create(ctx, rec, e); err != nil {
		return Record{}, err
	}
	s.cache.invalidate(realm, rec.Client.ID, rec.Client.ClientID)
	return rec, nil
}

// newRecord validates c for creation in realm and returns its record and
// its client.created event: a new UUID for an empty c.ID, timestamps, and
// secret or a generated one for a confidential client.
func (s *Service) newRecord(realm iam.Realm, c Client, secret string) (Record, iam.Event, error) {
	if err := realm.Validate(); err != nil {
		return Record{}, iam.Event{}, err
	}
	c = c.Clone()
	c.Realm = realm
	if c.ID == "" {
		c.ID = iam.NewID()
	} else if !validID(c.ID) {
		return Record{}, iam.Event{}, iam.Invalidf("id", "id must be a lowercase UUID")
	}
	if err := c.Validate(); err != nil {
		return Record{}, iam.Event{}, err
	}
	switch {
	case c.PublicClient && secret != "":
		return Record{}, iam.Event{}, iam.Invalidf("secret", "a public client has no secret")
	case c.PublicClient:
	case secret == "":
		secret = iamcrypto.RandomToken(SecretBytes)
	default:
		if err := validateSecret(secret); err != nil {
			return Record{}, iam.Event{}, err
		}
	}
	c.CreatedAt = s.timestamp()
	c.UpdatedAt = c.CreatedAt
	rec := Record{Client: c}
	setSecret(&rec, secret)
	e, err := createdEvent(c)
	if err != nil {
		return Record{}, iam.Event{}, err
	}
	return rec, e, nil
}

// ClientID returns the public clientId of the client with UUID id in realm
// (CodeNotFound if absent), from the cache like Get. It lets rbac name client
// roles by clientId: rbac.WithClientResolver(clientSvc).
func (s *Service) ClientID(ctx context.Context, realm iam.Realm, id string) (string, error) {
	c, err := s.Get(ctx, realm, id)
	if err != nil {
		return "", err
	}
	return c.ClientID, nil
}

// Get returns client id of realm, from the cache when it holds it. Writes
// through this Service invalidate the cache at once, other replicas' writes
// through Invalidate (clientskafka.RunCacheInvalidation); entries expire
// after the cache TTL in any case. CodeNotFound if absent (also for a client
// of another realm).
func (s *Service) Get(ctx context.Context, realm iam.Realm, id string) (Client, error) {
	const op = "clients.Get"
	if err := realm.Validate(); err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	if !validID(id) {
		return Client{}, iam.Wrap(op, errNotFound())
	}
	e, ok, epoch := s.cache.byIDKey(realm, id)
	if ok {
		return e.client.Clone(), nil
	}
	rec, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	s.cache.put(epoch, rec.Client, rec.SecretHash)
	return rec.Client, nil
}

// GetByClientID returns the client with public clientId of realm, cached
// like Get. CodeNotFound if absent.
func (s *Service) GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (Client, error) {
	const op = "clients.GetByClientID"
	if err := realm.Validate(); err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	e, err := s.lookupClientID(ctx, realm, clientID)
	if err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	return e.client.Clone(), nil
}

// lookupClientID returns the cache entry of clientID, loading it on a miss.
func (s *Service) lookupClientID(ctx context.Context, realm iam.Realm, clientID string) (cacheEntry, error) {
	e, ok, epoch := s.cache.byClientIDKey(realm, clientID)
	if ok {
		return e, nil
	}
	rec, err := s.store.GetByClientID(ctx, realm, clientID)
	if err != nil {
		return cacheEntry{}, err
	}
	s.cache.put(epoch, rec.Client, rec.SecretHash)
	return cacheEntry{client: rec.Client, hash: rec.SecretHash}, nil
}

// List returns the realm's clients matching f, ordered by clientId, read
// from the store. Max is DefaultPageSize when 0 and at most MaxPageSize.
// CodeInvalid for a negative First or Max.
func (s *Service) List(ctx context.Context, realm iam.Realm, f Filter) ([]Client, error) {
	const op = "clients.List"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if f.First < 0 {
		return nil, iam.Wrap(op, iam.Invalidf("first", "first must not be negative"))
	}
	if f.Max < 0 {
		return nil, iam.Wrap(op, iam.Invalidf("max", "max must not be negative"))
	}
	if f.Max == 0 {
		f.Max = DefaultPageSize
	}
	if f.Max > MaxPageSize {
		f.Max = MaxPageSize
	}
	cs, err := s.store.List(ctx, realm, f)
	return cs, iam.Wrap(op, err)
}

// Update applies the partial change u to client id of realm, validates the
// result and records client.updated, atomically. A client turned public
// loses its secret; one turned confidential gets a generated secret.
// Errors: CodeInvalid naming the field (nothing changes; a clientId changed
// to or from realm-management is refused), CodeNotFound,
// CodeConflict for a clientId taken in the realm, CodeForbidden for a
// caller with less administrative power than the client's service account
// (see power.go).
func (s *Service) Update(ctx context.Context, realm iam.Realm, id string, u Update) (Client, error) {
	const op = "clients.Update"
	if err := realm.Validate(); err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	if !validID(id) {
		return Client{}, iam.Wrap(op, errNotFound())
	}
	if err := s.authorize(ctx, realm, id); err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	var previous string
	rec, err := s.store.Update(ctx, realm, id, func(rec *Record) ([]iam.Event, error) {
		previous = rec.Client.ClientID
		u.Apply(&rec.Client)
		if err := rec.Client.Validate(); err != nil {
			return nil, err
		}
		if rec.Client.ClientID != previous && (protectedClientID(previous) || protectedClientID(rec.Client.ClientID)) {
			return nil, iam.Invalidf("clientId", "the clientId %s belongs to the client of the realm's administrative roles: no client is renamed to or from it", RealmManagement)
		}
		rotated := false
		switch {
		case rec.Client.PublicClient && rec.Secret != "":
			setSecret(rec, "")
		case !rec.Client.PublicClient && rec.Secret == "":
			setSecret(rec, iamcrypto.RandomToken(SecretBytes))
			rotated = true
		}
		rec.Client.UpdatedAt = s.timestamp()
		e, err := updatedEvent(rec.Client, previous, rotated)
		if err != nil {
			return nil, err
		}
		return []iam.Event{e}, nil
	})
	s.cache.invalidate(realm, id, previous, rec.Client.ClientID)
	if err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	return rec.Client, nil
}

// Delete deletes client id of realm and records client.deleted.
// CodeNotFound if absent, CodeForbidden as Update, CodeInvalid for the
// realm-management client (its roles are the realm's administrative roles;
// deleting a realm deletes it).
func (s *Service) Delete(ctx context.Context, realm iam.Realm, id string) error {
	const op = "clients.Delete"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if !validID(id) {
		return iam.Wrap(op, errNotFound())
	}
	rec, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if err := s.mayChange(ctx, realm, id); err != nil {
		return iam.Wrap(op, err)
	}
	if protectedClientID(rec.Client.ClientID) {
		return iam.Wrap(op, iam.Invalidf("clientId", "the %s client holds the realm's administrative roles and cannot be deleted", RealmManagement))
	}
	e, err := deletedEvent(rec.Client)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.Delete(ctx, realm, id, e)
	s.cache.invalidate(realm, id, rec.Client.ClientID)
	return iam.Wrap(op, err)
}

// Secret returns the current secret of client id of realm. CodeInvalid
// (field "publicClient") for a public client, CodeNotFound if absent,
// CodeInternal if the stored secret does not open with the store's key,
// CodeForbidden for a caller with less administrative power than the
// client's service account (see power.go: the secret is its credential).
func (s *Service) Secret(ctx context.Context, realm iam.Realm, id string) (string, error) {
	const op = "clients.Secret"
	if err := realm.Validate(); err != nil {
		return "", iam.Wrap(op, err)
	}
	if !validID(id) {
		return "", iam.Wrap(op, errNotFound())
	}
	rec, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return "", iam.Wrap(op, err)
	}
	if err := s.mayChange(ctx, realm, id); err != nil {
		return "", iam.Wrap(op, err)
	}
	if rec.Client.PublicClient || rec.Secret == "" {
		return "", &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "publicClient", Message: "a public client has no secret"}
	}
	return rec.Secret, nil
}

// RotateSecret gives client id of realm a new generated secret, returns it
// and records client.updated (with secretRotated), after which the old secret
// no longer authenticates. CodeInvalid (field "publicClient") for a public
// client, CodeNotFound if absent, CodeForbidden as Secret.
func (s *Service) RotateSecret(ctx context.Context, realm iam.Realm, id string) (string, error) {
	const op = "clients.RotateSecret"
	if err := realm.Validate(); err != nil {
		return "", iam.Wrap(op, err)
	}
	if !validID(id) {
		return "", iam.Wrap(op, errNotFound())
	}
	if err := s.authorize(ctx, realm, id); err != nil {
		return "", iam.Wrap(op, err)
	}
	secret := iamcrypto.RandomToken(SecretBytes)
	var clientID string
	_, err := s.store.Update(ctx, realm, id, func(rec *Record) ([]iam.Event, error) {
		clientID = rec.Client.ClientID
		if rec.Client.PublicClient {
			return nil, iam.Invalidf("publicClient", "a public client has no secret")
		}
		setSecret(rec, secret)
		rec.Client.UpdatedAt = s.timestamp()
		e, err := updatedEvent(rec.Client, "", true)
		if err != nil {
			return nil, err
		}
		return []iam.Event{e}, nil
	})
	s.cache.invalidate(realm, id, clientID)
	if err != nil {
		return "", iam.Wrap(op, err)
	}
	return secret, nil
}

// Authenticate returns the client clientID of realm if it is enabled and
// secret is its secret — checked in constant time against the store's
// keyed verifier (Store.MatchSecret) — or, for a public client, if secret
// is empty (a public client sending a secret is refused). An unknown
// client, a disabled client, a wrong or missing secret: all give the same
// CodeUnauthenticated error, after the same work. The client and its
// secret's verifier come from the cache after the first call. A verifier
// the store calls stale (an unkeyed SHA-256 of an earlier version, or one
// under a previous deployment key) is replaced after the secret matched it.
// Bearer-only clients do authenticate (for introspection); the grants
// decide what they may do. Other errors (CodeUnavailable) mean the store
// could not be read.
func (s *Service) Authenticate(ctx context.Context, realm iam.Realm, clientID, secret string) (Client, error) {
	const op = "clients.Authenticate"
	if realm.Validate() != nil {
		credentialsMatch(Client{}, nil, secret, s.matcher(iam.MasterRealm, "", nil))
		return Client{}, errBadCredentials(op)
	}
	e, err := s.lookupClientID(ctx, realm, clientID)
	if errors.Is(err, iam.ErrNotFound) {
		credentialsMatch(Client{}, nil, secret, s.matcher(realm, "", nil))
		return Client{}, errBadCredentials(op)
	}
	if err != nil {
		return Client{}, iam.Wrap(op, err)
	}
	var stale bool
	if !credentialsMatch(e.client, e.hash, secret, s.matcher(realm, e.client.ID, &stale)) {
		return Client{}, errBadCredentials(op)
	}
	if stale {
		s.rehash(ctx, realm, e.client)
	}
	return e.client.Clone(), nil
}

// matcher checks secrets against verifiers of client id of realm with the
// store, reporting a stale verifier in *stale (if not nil).
func (s *Service) matcher(realm iam.Realm, id string, stale *bool) func(hash []byte, secret string) bool {
	return func(hash []byte, secret string) bool {
		match, old := s.store.MatchSecret(realm, id, hash, secret)
		if stale != nil {
			*stale = match && old
		}
		return match
	}
}

// rehash has the store replace client c's stale verifier: it writes the
// record unchanged, and every write computes the verifier of the record's
// secret as it is then (so a secret rotated meanwhile is kept, never the
// one just checked). It records no event and is best effort: on failure
// the stale verifier stays, still matching, and the next successful
// authentication tries again.
func (s *Service) rehash(ctx context.Context, realm iam.Realm, c Client) {
	_, _ = s.store.Update(ctx, realm, c.ID, func(*Record) ([]iam.Event, error) { return nil, nil })
	s.cache.invalidate(realm, c.ID, c.ClientID)
}

// Invalidate drops client id of realm from the cache. Run it on
// client.updated and client.deleted from other replicas
// (clientskafka.RunCacheInvalidation).
func (s *Service) Invalidate(realm iam.Realm, id string) { s.cache.invalidate(realm, id) }

// InvalidateRealm drops every cached client of realm (on realm.deleted).
func (s *Service) InvalidateRealm(realm iam.Realm) { s.cache.invalidateRealm(realm) }

// errNotFound is the answer for an id that cannot exist (not a UUID).
func errNotFound() error { return iam.NotFoundf("client not found") }
