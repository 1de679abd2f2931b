// Package authmem holds in-memory implementations of auth's stores for the
// embedded default (go run ./cmd/opengate) and tests: Store (an
// auth.TokenStore: codes, refresh tokens, revocations, failure counters) and
// KeyStore (an auth.KeyStore). Nothing survives a restart: every refresh
// token is lost and realms get new signing keys.
//
//	svc, err := auth.New("http://localhost:8080", realmSvc, clientSvc, userSvc, rbacSvc,
//		authmem.NewKeyStore(), authmem.New(), auth.WithPublisher(bus))
package authmem
