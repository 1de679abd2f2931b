package clientsmem_test

import (
	"testing"

	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/clients/clientstest"
)

func TestStore(t *testing.T) {
	clientstest.Run(t, func(t *testing.T) clientstest.Harness {
		rec := clientstest.NewRecorder()
		return clientstest.Harness{Store: clientsmem.New(rec), Events: rec.Events}
	})
}
