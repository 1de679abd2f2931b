// Package authtest holds test helpers for auth and its stores: the
// conformance suites every store runs (RunKeyStore for auth.KeyStore,
// RunTokenStore for auth.TokenStore) and Directory, an in-memory stand-in
// for the realms, clients, users and rbac services.
//
//	func TestTokenStore(t *testing.T) {
//		authtest.RunTokenStore(t, func(t *testing.T) authtest.TokenStoreHarness {
//			client, prefix := iamtest.Redis(t)
//			return authtest.TokenStoreHarness{Store: authredis.New(client, authredis.WithPrefix(prefix))}
//		})
//	}
package authtest
