package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/iam"
)

// keyring caches each realm's signing keys in memory, parsed and ready: the
// token path never reads the store or decrypts a key. A realm's entry is
// reloaded from the KeyStore when older than ttl (so a rotation by another
// replica is seen within ttl), and at once (at most every minReload) when a
// token names an unknown kid.
type keyring struct {
	store     KeyStore
	now       func() time.Time
	ttl       time.Duration // cache lifetime of a realm's keys
	minReload time.Duration // minimum interval between unknown-kid reloads
	retention time.Duration // how long a retired key stays published
	rotation  time.Duration // automatic rotation interval; 0 = never

	mu     sync.RWMutex
	realms map[iam.Realm]*realmKeys

	loads realmLocks // serializes loads per realm, so a cold realm is read once
}

// ringKey is a usable key: parsed, with its JOSE headers encoded.
type ringKey struct {
	Key
	verify   authjwt.Key // the public key, as the verification policy takes it
	hdrJWT   string      // base64url header with typ JWT
	hdrATJWT string      // base64url header with typ at+jwt
}

// realmKeys is the cached key set of one realm.
type realmKeys struct {
	active   *ringKey
	byKID    map[string]*ringKey
	jwks     JWKS // every published key
	loadedAt time.Time
}

func newKeyring(store KeyStore, now func() time.Time) *keyring {
	return &keyring{
		store:     store,
		now:       now,
		ttl:       10 * time.Second,
		minReload: time.Second,
		retention: 24 * time.Hour,
		realms:    make(map[iam.Realm]*realmKeys),
	}
}

// cached returns realm's cached keys if fresh enough.
func (r *keyring) cached(realm iam.Realm) (*realmKeys, bool) {
	r.mu.RLock()
	rk := r.realms[realm]
	r.mu.RUnlock()
	if rk == nil || r.now().Sub(rk.loadedAt) >= r.ttl {
		return rk, false
	}
	return rk, true
}

// active returns the realm's key for signing with alg, creating or rotating
// the realm's key when there is none, it has another algorithm, or it is due
// for rotation.
// forget drops realm's cached keys.
func (r *keyring) forget(realm iam.Realm) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.realms, realm)
}

func (r *keyring) active(ctx context.Context, realm iam.Realm, alg string) (*ringKey, error) {
	if rk, fresh := r.cached(realm); fresh && rk.active != nil && !r.stale(rk.active, alg) {
		return rk.active, nil
	}
	rk, err := r.load(ctx, realm, alg, false)
	if err != nil {
		return nil, err
	}
	return rk.active, nil
}

// stale reports whether k must be replaced before signing with alg.
func (r *keyring) stale(k *ringKey, alg string) bool {
	return k.Algorithm != alg || (r.rotation > 0 && r.now().Sub(k.CreatedAt) >= r.rotation)
}

// lookup returns the published key kid of realm for verification, or nil.
func (r *keyring) lookup(ctx context.Context, realm iam.Realm, alg, kid string) (*ringKey, error) {
	rk, fresh := r.cached(realm)
	if rk != nil {
		if k := rk.byKID[kid]; k != nil && fresh {
			return k, nil
		}
		if fresh && r.now().Sub(rk.loadedAt) < r.minReload {
			return nil, nil
		}
	}
	rk, err := r.load(ctx, realm, alg, false)
	if err != nil {
		return nil, err
	}
	return rk.byKID[kid], nil
}

// jwks returns the JWKS of realm (creating its first key if needed). The
// caller must not modify it.
func (r *keyring) jwks(ctx context.Context, realm iam.Realm, alg string) (JWKS, error) {
	if rk, fresh := r.cached(realm); fresh && rk.active != nil {
		return rk.jwks, nil
	}
	rk, err := r.load(ctx, realm, alg, false)
	if err != nil {
		return JWKS{}, err
	}
	return rk.jwks, nil
}

// rotate replaces the realm's active key by a new alg key and returns it.
func (r *keyring) rotate(ctx context.Context, realm iam.Realm, alg string) (*ringKey, error) {
	rk, err := r.load(ctx, realm, alg, true)
	if err != nil {
		return nil, err
	}
	return rk.active, nil
}

// load reads realm's keys from the store and caches them. It first makes sure
// the realm has an active alg key that is not due for rotation (or, with
// force, a brand-new one), creating it race-safely: when another process wins
// the activation, the store answers CodeConflict and load reads again.
func (r *keyring) load(ctx context.Context, realm iam.Realm, alg string, force bool) (*realmKeys, error) {
	const op = "auth.keys.load"
	defer r.loads.lock(realm)()
	if !force {
		// Another goroutine may have loaded while this one waited.
		if rk, fresh := r.cached(realm); fresh && rk.active != nil && !r.stale(rk.active, alg) &&
			r.now().Sub(rk.loadedAt) < r.minReload {
			return rk, nil
		}
	}
	for attempt := 0; ; attempt++ {
		keys, err := r.store.ListKeys(ctx, realm)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		var current *Key
		for i := range keys {
			if keys[i].Active() {
				current = &keys[i]
				break
			}
		}
		now := r.now()
		needNew := current == nil || force || current.Algorithm != alg ||
			(r.rotation > 0 && now.Sub(current.CreatedAt) >= r.rotation)
		if !needNew {
			return r.cache(ctx, realm, keys)
		}
		if force {
			if err := rotationAllowed(keys, now); err != nil {
				return nil, iam.Wrap(op, err)
			}
		}
		if attempt >= 3 {
			return nil, iam.Errorf(iam.CodeUnavailable, "signing keys are changing concurrently, retry")
		}
		next, err := GenerateKey(realm, alg, now)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		replaces := ""
		if current != nil {
			replaces = current.ID
		}
		err = r.store.ActivateKey(ctx, next, replaces, now.Add(r.retention))
		switch {
		case err == nil:
			force = false
		case errors.Is(err, iam.ErrConflict):
			// Another process activated a key first: use it. A forced
			// rotation is satisfied by the other process's new key.
			force = false
		default:
			return nil, iam.Wrap(op, err)
		}
	}
}

// cache builds and stores the realm's key set from keys: the active key and
// at most MaxRetiredKeys retired keys, the newest, that have not expired.
// Expired keys and older retired keys beyond the cap (left by automatic
// rotations, algorithm changes, or a store filled before the cap) are left
// out and deleted from the store in passing.
func (r *keyring) cache(ctx context.Context, realm iam.Realm, keys []Key) (*realmKeys, error) {
	now := r.now()
	retired := retiredInUse(keys, now)
	prune := len(retired) < len(keys)-activeCount(keys) // some have expired
	cutoff := now
	if len(retired) > MaxRetiredKeys {
		cutoff = retired[MaxRetiredKeys-1].ExpiresAt // the oldest kept
		retired, prune = retired[:MaxRetiredKeys], true
	}
	keep := make([]Key, 0, len(retired)+1)
	for _, k := range keys {
		if k.Active() {
			keep = append(keep, k)
		}
	}
	keep = append(keep, retired...)

	rk := &realmKeys{byKID: make(map[string]*ringKey, len(keep)), loadedAt: now}
	set := JWKS{Keys: make([]JWK, 0, len(keep))}
	for _, k := range keep {
		pub := k.Private.Public()
		jwk, err := publicJWK(k.Algorithm, pub)
		if err != nil {
			return nil, iam.Wrap("auth.keys.cache", err)
		}
		jwk.Kid = k.ID
		set.Keys = append(set.Keys, jwk)
		rkey := &ringKey{Key: k, verify: authjwt.Key{ID: k.ID, Algorithm: k.Algorithm, Public: pub},
			hdrJWT:   encodedHeader(k.Algorithm, k.ID, authjwt.HeaderTypeJWT),
			hdrATJWT: encodedHeader(k.Algorithm, k.ID, authjwt.HeaderTypeATJWT)}
		rk.byKID[k.ID] = rkey
		if k.Active() && rk.active == nil {
			rk.active = rkey
		}
	}
	rk.jwks = set
	if prune {
		// Best effort: the keys are already unpublished; a failed delete is
		// retried on the next load.
		_ = r.store.DeleteExpiredKeys(ctx, realm, cutoff)
	}
	r.mu.Lock()
	r.realms[realm] = rk
	r.mu.Unlock()
	return rk, nil
}
