package authredis_test

import (
	"testing"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestTokenStore(t *testing.T) {
	authtest.RunTokenStore(t, func(t *testing.T) auth.TokenStore {
		client, prefix := iamtest.Redis(t)
		return authredis.New(client, authredis.WithPrefix(prefix))
	})
}
