package userspg_test

import (
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestStore(t *testing.T) {
	userstest.Run(t, func(t *testing.T) userstest.Harness {
		pool := migrated(t)
		return userstest.Harness{Store: userspg.New(pool), Events: iamtest.Outbox(pool)}
	})
}
