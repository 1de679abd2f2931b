package authverify

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/opengate-iam/opengate/iam"
)

// HTTPKeySource fetches each realm's JWKS from
// {base}/realms/{realm}/protocol/openid-connect/certs through a jwx jwk.Cache
// that refreshes in the background (every RefreshInterval, but not more than
// once a minute). A realm is registered with the cache only after its first
// fetch succeeded, so issuers made up by attackers never enter the cache; a
// failed first fetch is remembered for a short time so they cannot make
// every request fetch either. Invalidate (on realm events) drops a realm, so
// its next token fetches again.
type HTTPKeySource struct {
	base   string
	client *http.Client
	cache  *jwk.Cache
	now    func() time.Time

	mu         sync.Mutex
	registered map[iam.Realm]bool
	failed     map[iam.Realm]time.Time // realm → when its first fetch failed
	converted  map[iam.Realm]converted // the last set of each realm, as a KeySet
}

// converted remembers the KeySet made from one jwk.Set, so that a set is
// converted once, not per token.
type converted struct {
	from jwk.Set
	to   *KeySet
}

var _ KeySource = (*HTTPKeySource)(nil)

// RefreshInterval is how often an HTTPKeySource re-reads a realm's JWKS in
// the background.
const RefreshInterval = 15 * time.Minute

// maxRealms bounds how many realms' JWKS one source tracks.
const maxRealms = 10000

// negativeTTL is how long a failed first fetch is not retried.
const negativeTTL = 30 * time.Second

// NewHTTPKeySource returns a source for issuers under base; ctx ends the
// background refresh.
func NewHTTPKeySource(ctx context.Context, base string, client *http.Client) *HTTPKeySource {
	return &HTTPKeySource{
		base:       base,
		client:     client,
		cache:      jwk.NewCache(ctx),
		now:        time.Now,
		registered: map[iam.Realm]bool{},
		failed:     map[iam.Realm]time.Time{},
		converted:  map[iam.Realm]converted{},
	}
}

func (s *HTTPKeySource) url(realm iam.Realm) string {
	return s.base + "/realms/" + string(realm) + "/protocol/openid-connect/certs"
}

// ensure registers realm after a successful fetch. It reports not-found for
// a realm whose keys cannot be fetched (now or within negativeTTL).
func (s *HTTPKeySource) ensure(ctx context.Context, realm iam.Realm) (string, error) {
	u := s.url(realm)
	s.mu.Lock()
	if s.registered[realm] {
		s.mu.Unlock()
		return u, nil
	}
	if at, ok := s.failed[realm]; ok && s.now().Sub(at) < negativeTTL {
		s.mu.Unlock()
		return "", iam.NotFoundf("no signing keys for realm %q", realm)
	}
	s.mu.Unlock()
	if _, err := jwk.Fetch(ctx, u, jwk.WithHTTPClient(s.client)); err != nil {
		s.mu.Lock()
		if len(s.failed) >= maxRealms {
			clear(s.failed)
		}
		s.failed[realm] = s.now()
		s.mu.Unlock()
		return "", &iam.Error{Code: iam.CodeNotFound, Op: "authverify.HTTPKeySource",
			Message: "no signing keys for realm " + string(realm), Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.registered[realm] {
		return u, nil
	}
	if len(s.registered) >= maxRealms {
		return "", iam.Errorf(iam.CodeUnavailable, "too many realms")
	}
	if err := s.cache.Register(u,
		jwk.WithHTTPClient(s.client),
		jwk.WithMinRefreshInterval(time.Minute),
		jwk.WithRefreshInterval(RefreshInterval)); err != nil {
		return "", err
	}
	delete(s.failed, realm)
	s.registered[realm] = true
	return u, nil
}

// KeySet returns the cached keys of realm, fetching them on first use.
func (s *HTTPKeySource) KeySet(ctx context.Context, realm iam.Realm) (*KeySet, error) {
	u, err := s.ensure(ctx, realm)
	if err != nil {
		return nil, err
	}
	set, err := s.cache.Get(ctx, u)
	if err != nil {
		return nil, err
	}
	return s.convert(realm, set), nil
}

// Refresh fetches realm's keys now.
func (s *HTTPKeySource) Refresh(ctx context.Context, realm iam.Realm) (*KeySet, error) {
	u, err := s.ensure(ctx, realm)
	if err != nil {
		return nil, err
	}
	set, err := s.cache.Refresh(ctx, u)
	if err != nil {
		return nil, err
	}
	return s.convert(realm, set), nil
}

// Invalidate forgets realm: its next token fetches its JWKS again.
func (s *HTTPKeySource) Invalidate(realm iam.Realm) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.registered[realm] {
		_ = s.cache.Unregister(s.url(realm)) // fails only for an unknown URL
	}
	delete(s.registered, realm)
	delete(s.failed, realm)
	delete(s.converted, realm)
}

// convert returns set as a KeySet, converting it only when it changed.
func (s *HTTPKeySource) convert(realm iam.Realm, set jwk.Set) *KeySet {
	s.mu.Lock()
	c, ok := s.converted[realm]
	s.mu.Unlock()
	if ok && c.from == set {
		return c.to
	}
	ks := FromJWKSet(set)
	s.mu.Lock()
	if s.registered[realm] {
		s.converted[realm] = converted{from: set, to: ks}
	}
	s.mu.Unlock()
	return ks
}
