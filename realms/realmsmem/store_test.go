package realmsmem_test

import (
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/realms/realmstest"
)

func TestStore(t *testing.T) {
	realmstest.Run(t, func(t *testing.T) realmstest.Harness {
		rec := iamtest.NewRecorder()
		return realmstest.Harness{Store: realmsmem.New(rec), Events: rec.Events}
	})
}
