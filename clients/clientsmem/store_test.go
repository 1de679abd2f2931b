package clientsmem_test

import (
	"testing"

	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/clients/clientstest"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestStore(t *testing.T) {
	clientstest.Run(t, func(t *testing.T) clientstest.Harness {
		rec := iamtest.NewRecorder()
		return clientstest.Harness{Store: clientsmem.New(rec), Events: rec.Events}
	})
}
