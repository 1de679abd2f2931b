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
// that refreshes in the background (every 15 minutes, or as the response's
// cache headers say, but not more than once a minute).
type HTTPKeySource struct {
	base   string
	client *http.Client
	cache  *jwk.Cache

	mu         sync.Mutex
	registered map[iam.Realm]bool
}

// maxRealms bounds how many realms' JWKS one source tracks.
const maxRealms = 10000

// NewHTTPKeySource returns a source for issuers under base; ctx ends the
// background refresh.
func NewHTTPKeySource(ctx context.Context, base string, client *http.Client) *HTTPKeySource {
	return &HTTPKeySource{
		base:       base,
		client:     client,
		cache:      jwk.NewCache(ctx),
		registered: map[iam.Realm]bool{},
	}
}

func (s *HTTPKeySource) url(realm iam.Realm) string {
	return s.base + "/realms/" + string(realm) + "/protocol/openid-connect/certs"
}

func (s *HTTPKeySource) register(realm iam.Realm) (string, error) {
	u := s.url(realm)
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
		jwk.WithRefreshInterval(15*time.Minute)); err != nil {
		return "", err
	}
	s.registered[realm] = true
	return u, nil
}

// KeySet returns the cached keys of realm, fetching them on first use.
func (s *HTTPKeySource) KeySet(ctx context.Context, realm iam.Realm) (jwk.Set, error) {
	u, err := s.register(realm)
	if err != nil {
		return nil, err
	}
	return s.cache.Get(ctx, u)
}

// Refresh fetches realm's keys now.
func (s *HTTPKeySource) Refresh(ctx context.Context, realm iam.Realm) (jwk.Set, error) {
	u, err := s.register(realm)
	if err != nil {
		return nil, err
	}
	return s.cache.Refresh(ctx, u)
}

// StaticKeys is a KeySource over fixed key sets, for tests and for
// deployments that pin keys.
type StaticKeys map[iam.Realm]jwk.Set

// KeySet returns the realm's keys or a not-found error.
func (s StaticKeys) KeySet(_ context.Context, realm iam.Realm) (jwk.Set, error) {
	set, ok := s[realm]
	if !ok {
		return nil, iam.NotFoundf("no keys for realm %q", realm)
	}
	return set, nil
}

// Refresh is KeySet: static keys never change.
func (s StaticKeys) Refresh(ctx context.Context, realm iam.Realm) (jwk.Set, error) {
	return s.KeySet(ctx, realm)
}
