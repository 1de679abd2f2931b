package realms

import (
	"context"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Service holds the rules of realms: defaults, validation, events, the
// protected master realm and the read cache other services rely on. It is
// safe for concurrent use.
type Service struct {
	store Store
	cache *CachedGetter
	now   func() time.Time
}

var _ Getter = (*Service)(nil)

// Option configures a Service.
type Option func(*serviceConfig)

type serviceConfig struct {
	ttl time.Duration
	now func() time.Time
}

// WithCacheTTL bounds how long Get serves a realm without an invalidation
// (DefaultCacheTTL by default).
func WithCacheTTL(ttl time.Duration) Option {
	return func(c *serviceConfig) { c.ttl = ttl }
}

// WithClock sets the clock that stamps CreatedAt and UpdatedAt (tests).
func WithClock(now func() time.Time) Option {
	return func(c *serviceConfig) { c.now = now }
}

// New returns a Service over store.
func New(store Store, opts ...Option) *Service {
	cfg := serviceConfig{ttl: DefaultCacheTTL, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Service{store: store, now: cfg.now}
	s.cache = NewCachedGetter(storeGetter{store}, WithTTL(cfg.ttl), WithCacheClock(cfg.now))
	return s
}

// storeGetter reads through to the store.
type storeGetter struct{ store Store }

func (g storeGetter) Get(ctx context.Context, name iam.Realm) (Realm, error) {
	return g.store.Get(ctx, name)
}

// timestamp is the service clock in UTC at microsecond precision (what
// PostgreSQL keeps), so every store returns the same instant.
func (s *Service) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// Create creates realm r with a new ID (any ID in r is replaced): zero-valued
// settings take their defaults (see Default), then every setting is
// validated. It records realm.created.
// Errors: CodeInvalid naming the field, CodeConflict if the name is taken.
func (s *Service) Create(ctx context.Context, r Realm) (Realm, error) {
	const op = "realms.Create"
	r = r.Clone()
	r.applyDefaults()
	if err := r.Validate(); err != nil {
		return Realm{}, iam.Wrap(op, err)
	}
	r.ID = iam.NewID()
	r.CreatedAt = s.timestamp()
	r.UpdatedAt = r.CreatedAt
	e, err := createdEvent(r)
	if err != nil {
		return Realm{}, iam.Wrap(op, err)
	}
	if err := s.store.Create(ctx, r, e); err != nil {
		return Realm{}, iam.Wrap(op, err)
	}
	s.cache.Invalidate(r.Name)
	return r, nil
}

// Get returns realm name from the in-process cache, loading it from the store
// on a miss. Writes through this Service invalidate the cache at once;
// realm.updated and realm.deleted events from other replicas reach it through
// Invalidate; entries expire after the cache TTL in any case. Errors:
// CodeInvalid for a malformed name, CodeNotFound.
func (s *Service) Get(ctx context.Context, name iam.Realm) (Realm, error) {
	if err := name.Validate(); err != nil {
		return Realm{}, iam.Wrap("realms.Get", err)
	}
	r, err := s.cache.Get(ctx, name)
	return r, iam.Wrap("realms.Get", err)
}

// List returns every realm, ordered by name (read from the store).
func (s *Service) List(ctx context.Context) ([]Realm, error) {
	rs, err := s.store.List(ctx)
	return rs, iam.Wrap("realms.List", err)
}

// Update applies the partial change u to realm name, validates the result
// and records realm.updated, atomically. Errors: CodeInvalid naming the
// field (nothing is changed), CodeNotFound.
func (s *Service) Update(ctx context.Context, name iam.Realm, u Update) (Realm, error) {
	const op = "realms.Update"
	if err := name.Validate(); err != nil {
		return Realm{}, iam.Wrap(op, err)
	}
	r, err := s.store.Update(ctx, name, func(r *Realm) ([]iam.Event, error) {
		u.Apply(r)
		if err := r.Validate(); err != nil {
			return nil, err
		}
		r.UpdatedAt = s.timestamp()
		e, err := updatedEvent(*r)
		if err != nil {
			return nil, err
		}
		return []iam.Event{e}, nil
	})
	s.cache.Invalidate(name)
	if err != nil {
		return Realm{}, iam.Wrap(op, err)
	}
	return r, nil
}

// Delete deletes realm name and records realm.deleted (with the realm's ID),
// on which every other service deletes the realm's objects and every token
// verifier forgets the realm's keys. The master realm cannot be deleted:
// CodeInvalid with field "realm". CodeNotFound if it does not exist.
func (s *Service) Delete(ctx context.Context, name iam.Realm) error {
	const op = "realms.Delete"
	if err := name.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if name == iam.MasterRealm {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "realm", Message: "the master realm cannot be deleted"}
	}
	cur, err := s.store.Get(ctx, name)
	if err != nil {
		return iam.Wrap(op, err)
	}
	e, err := deletedEvent(cur)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.Delete(ctx, name, e)
	s.cache.Invalidate(name)
	return iam.Wrap(op, err)
}

// EnsureMaster creates the master realm with the default settings if it does
// not exist, and returns it. It is idempotent and safe to run concurrently
// from several replicas at start-up. The realm's default client (admin-cli)
// is created by the clients service on realm.created, or by its
// EnsureDefaults.
func (s *Service) EnsureMaster(ctx context.Context) (Realm, error) {
	const op = "realms.EnsureMaster"
	r, err := s.store.Get(ctx, iam.MasterRealm)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, iam.ErrNotFound) {
		return Realm{}, iam.Wrap(op, err)
	}
	master := Default(iam.MasterRealm)
	master.DisplayName = "Master"
	r, err = s.Create(ctx, master)
	if errors.Is(err, iam.ErrConflict) {
		r, err = s.store.Get(ctx, iam.MasterRealm) // another replica won the race
	}
	return r, iam.Wrap(op, err)
}

// Invalidate drops realm name from the Get cache. Run it on realm.updated and
// realm.deleted from other replicas (realmskafka.RunCacheInvalidation).
func (s *Service) Invalidate(name iam.Realm) { s.cache.Invalidate(name) }
