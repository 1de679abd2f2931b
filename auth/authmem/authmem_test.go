package authmem_test

import (
	"testing"

	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
)

func TestKeyStore(t *testing.T) {
	authtest.RunKeyStore(t, func(t *testing.T) authtest.KeyStoreHarness {
		return authtest.KeyStoreHarness{Store: authmem.NewKeyStore()}
	})
}

func TestTokenStore(t *testing.T) {
	authtest.RunTokenStore(t, func(t *testing.T) authtest.TokenStoreHarness {
		return authtest.TokenStoreHarness{Store: authmem.New()}
	})
}
