package authmem_test

import (
	"testing"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
)

func TestKeyStore(t *testing.T) {
	authtest.RunKeyStore(t, func(t *testing.T) auth.KeyStore { return authmem.NewKeyStore() })
}

func TestTokenStore(t *testing.T) {
	authtest.RunTokenStore(t, func(t *testing.T) auth.TokenStore { return authmem.New() })
}
