package usersmem_test

import (
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestStore(t *testing.T) {
	userstest.Run(t, func(t *testing.T) userstest.Harness {
		rec := iamtest.NewRecorder()
		return userstest.Harness{Store: usersmem.New(rec), Events: rec.Events}
	})
}
