package opengate_test

import (
	"net/http"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
)

// Review finding 10.4 against the assembled server: with Redis or a service
// database up but silent, a request with a bearer token answers 503 once the
// per-call budget is spent (instead of hanging for minutes), and the same
// request succeeds again as soon as the dependency answers.
func TestSilentDependenciesAnswer503AndRecover(t *testing.T) {
	cfg := postgresConfig(t)
	redis, prefix, redisProxy := iamtest.StallableRedis(t)
	cfg.Redis, cfg.RedisPrefix = redis, prefix
	users, usersProxy := iamtest.StallablePostgres(t)
	cfg.Databases.Users = users
	e := embed(t, cfg)
	admin := e.token(t, "master", "admin", adminPassword)
	const path = "/admin/realms/master/users?username=admin&exact=true"
	e.must(t, http.StatusOK, "GET", path, admin, "")

	for name, proxy := range map[string]*iamtest.Proxy{"Redis": redisProxy, "UsersDatabase": usersProxy} {
		t.Run(name, func(t *testing.T) {
			proxy.Stall()
			status, body := e.call(t, "GET", path, admin, "")
			proxy.Resume()
			if status != http.StatusServiceUnavailable {
				t.Fatalf("with %s silent: %d %s, want 503", name, status, body)
			}
			e.must(t, http.StatusOK, "GET", path, admin, "")
		})
	}
}
