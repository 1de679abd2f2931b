package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// cachingGateway is the gateway as cmd/gateway runs it against auth's
// Redis: the verified-token cache, and the revocation list read through
// rueidis client-side caching (authredis.CachedRevocations) over a Redis
// reached through proxy. It returns the gateway and auth's own store on
// the same keys (a client without caching, as auth-service's).
func cachingGateway(t *testing.T) (*gateway.Gateway, *authredis.Store, *iamtest.Proxy) {
	t.Helper()
	client, prefix, proxy := iamtest.StallableCachingRedis(t)
	authClient, _ := iamtest.Redis(t)
	auth := authredis.New(authClient, authredis.WithPrefix(prefix))
	if err := auth.EnsureEpoch(t.Context(), "acme"); err != nil {
		t.Fatal(err)
	}
	keys := authverify.StaticKeys{"acme": authverify.NewKeySet(realmIDOf("acme"),
		authjwt.Key{ID: "k1", Algorithm: "RS256", Public: &testKey().PublicKey})}
	v, err := authverify.New(context.Background(), issuerBase, authverify.WithKeySource(keys), authverify.WithTokenCache(0),
		authverify.WithRevocationChecker(authredis.New(client, authredis.WithPrefix(prefix)).CachedRevocations(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New([]gateway.Route{{Path: "/admin/realms/{realm}/users/*", Upstream: gateway.Local("users", echoHandler("users"))}},
		gateway.WithVerifier(v), quiet)
	if err != nil {
		t.Fatal(err)
	}
	return g, auth, proxy
}

// getUsers sends GET /admin/realms/acme/users/x with tok, bounded by a
// second (a stalled Redis must not hold the test).
func getUsers(g http.Handler, tok string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, "GET", "http://gateway.test/admin/realms/acme/users/x", nil)
	r.RemoteAddr = "192.0.2.10:1234"
	r.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, r)
	return rec.Code
}

// A token revoked in auth's Redis is refused by the gateway as soon as
// Redis pushes the invalidation of the cached answer — though that answer
// was served from the cache (with Redis unreachable) just before.
func TestRevokedTokenIsRefusedOnceRedisPushesTheRevocation(t *testing.T) {
	g, auth, proxy := cachingGateway(t)
	c := claims("acme", "alice", "app")
	tok := sign(map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}, c, testKey())
	if code := getUsers(g, tok); code != 200 {
		t.Fatalf("before the revocation: %d, want 200", code)
	}
	proxy.Stall()
	code := getUsers(g, tok)
	proxy.Resume()
	if code != 200 {
		t.Fatalf("again with Redis unreachable: %d, want 200 from the cached revocation state", code)
	}

	if err := auth.RevokeAccessToken(t.Context(), "acme", c["jti"].(string), time.Hour); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	for getUsers(g, tok) != 401 {
		if time.Since(written) > 2*time.Second {
			t.Fatal("the revoked token was still accepted 2 s after the revocation")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("refused %v after the revocation was written", time.Since(written))
}

// A token whose revocation state is not cached, while Redis does not
// answer, is refused with 503: the check fails closed.
func TestRevocationCheckFailsClosedWhenRedisIsUnreachable(t *testing.T) {
	g, _, proxy := cachingGateway(t)
	proxy.Stall()
	defer proxy.Resume()
	if code := getUsers(g, token("acme", "bob")); code != http.StatusServiceUnavailable {
		t.Fatalf("a new token with Redis unreachable: %d, want 503", code)
	}
}
