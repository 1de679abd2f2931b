package mfamem_test

import (
	"testing"

	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/mfa/mfatest"
)

func TestStore(t *testing.T) {
	mfatest.RunStore(t, func(t *testing.T) mfatest.StoreHarness {
		return mfatest.StoreHarness{Store: mfamem.New()}
	})
}

func TestEphemeral(t *testing.T) {
	mfatest.RunEphemeral(t, func(t *testing.T) mfatest.EphemeralHarness {
		return mfatest.EphemeralHarness{State: mfamem.NewEphemeral()}
	})
}

func TestService(t *testing.T) {
	mfatest.RunService(t, func(t *testing.T) mfatest.ServiceHarness {
		return mfatest.ServiceHarness{Store: mfamem.New(), State: mfamem.NewEphemeral()}
	})
}
