package boot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// RevocationTimeout bounds each revocation check of a microservice's
// verifier: a Redis that does not answer refuses the request (503) instead
// of holding it.
const RevocationTimeout = time.Second

// RequireRedis fails when OPENGATE_REDIS_URL is not set, with the error
// "OPENGATE_REDIS_URL is required" followed by why.
func (c Config) RequireRedis(why string) error {
	if c.RedisURL == "" {
		return errors.New("OPENGATE_REDIS_URL is required" + why)
	}
	return nil
}

// OpenRedis connects to the Redis at url (client-side caching off: auth's
// state changes under other processes). The caller closes it.
func OpenRedis(url string) (rueidis.Client, error) {
	opt, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_REDIS_URL: %w", err)
	}
	opt.DisableCache = true
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return rc, nil
}

// CachingConnTimeout is how long a caching Redis client (OpenCachingRedis)
// waits for an answer, or for the PING it sends after a second without
// answers, before it closes the connection and drops every answer it cached
// from it: cached answers outlive a Redis that stopped answering by at most
// about 2 s + CachingConnTimeout.
const CachingConnTimeout = 2 * time.Second

// OpenCachingRedis connects to the Redis at url with rueidis client-side
// caching on (RESP3 tracking: Redis pushes an invalidation when a key the
// client read changes) and connections closed, their cache dropped, when
// Redis does not answer within CachingConnTimeout. For reads that must see
// other processes' writes at once (authredis.CachedRevocations). The
// caller closes it.
func OpenCachingRedis(url string) (rueidis.Client, error) {
	opt, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_REDIS_URL: %w", err)
	}
	opt.ConnWriteTimeout = CachingConnTimeout
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("redis (client-side caching needs Redis 6 or later, RESP3): %w", err)
	}
	return rc, nil
}

// RedisCheck is the readiness check of rc.
func RedisCheck(rc rueidis.Client) iamhttp.Check {
	return func(ctx context.Context) error { return rc.Do(ctx, rc.B().Ping().Build()).Error() }
}

// Verifier returns the token verifier of a microservice that is not the
// issuer: each realm's keys and current id from the issuer's JWKS
// (cfg.IssuerBase), and auth's revocation list read from its Redis
// (cfg.RedisURL, keys under cfg.RedisPrefix), each check bounded by
// RevocationTimeout and failing closed. When OpenKafka was called first, the
// verifier follows the realm events (a task; consumer group
// authverify.CacheGroup(name, cfg.Instance)), so a deleted realm's tokens
// are refused as soon as its realm.deleted arrives. It also returns the
// readiness check of the Redis connection, which Close closes. opts are
// added last (the gateway reads keys from auth-service directly:
// authverify.WithKeySource).
func (s *Server) Verifier(ctx context.Context, cfg Config, opts ...authverify.Option) (*authverify.Verifier, iamhttp.Check, error) {
	return s.verifier(ctx, cfg, false, opts)
}

// CachingVerifier is Verifier with the revocation list read through
// rueidis client-side caching (OpenCachingRedis,
// authredis.CachedRevocations): a token checked again costs no round trip,
// and a revocation is seen as soon as Redis pushes its invalidation — for a
// verifier that sees the same tokens over and over (the gateway). A check
// the cache cannot answer is a round trip bounded by RevocationTimeout and
// fails closed, as Verifier's.
func (s *Server) CachingVerifier(ctx context.Context, cfg Config, opts ...authverify.Option) (*authverify.Verifier, iamhttp.Check, error) {
	return s.verifier(ctx, cfg, true, opts)
}

func (s *Server) verifier(ctx context.Context, cfg Config, cache bool, opts []authverify.Option) (*authverify.Verifier, iamhttp.Check, error) {
	open := OpenRedis
	if cache {
		open = OpenCachingRedis
	}
	rc, err := open(cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	s.redis = append(s.redis, rc)
	store := authredis.New(rc, authredis.WithPrefix(cfg.RedisPrefix))
	var checker authverify.RevocationChecker = auth.Revocations{Store: store}
	if cache {
		checker = store.CachedRevocations(0)
	}
	revocations := timedRevocations{next: checker, timeout: RevocationTimeout}
	v, err := authverify.New(ctx, cfg.IssuerBase, append([]authverify.Option{authverify.WithRevocationChecker(revocations)}, opts...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("OPENGATE_ISSUER_BASE: %w", err)
	}
	s.FollowRealmEvents(v, cfg.Instance)
	return v, RedisCheck(rc), nil
}

// FollowRealmEvents adds the task that keeps v in step with realm events
// (authverify.Verifier.Follow) when OpenKafka was called first; without
// Kafka it logs that deleted realms' tokens are refused only once the JWKS
// is refreshed.
func (s *Server) FollowRealmEvents(v *authverify.Verifier, instance string) {
	if s.kafka == nil {
		s.log.Warn("no Kafka: the token verifier learns of deleted realms only when it refreshes their keys (at most 15 minutes)")
		return
	}
	sub, group := s.kafka.CacheSubscriber(), authverify.CacheGroup(s.name, instance)
	s.Task("token verifier realm events", func(ctx context.Context) error { return v.Follow(ctx, sub, group) })
}

// timedRevocations bounds each check of next by timeout.
type timedRevocations struct {
	next    authverify.RevocationChecker
	timeout time.Duration
}

// Revoked asks next within the timeout.
func (t timedRevocations) Revoked(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	return t.next.Revoked(ctx, realm, jti, sid, issuedAt)
}
