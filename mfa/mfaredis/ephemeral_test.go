package mfaredis_test

import (
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa/mfaredis"
	"github.com/opengate-iam/opengate/mfa/mfatest"
)

func TestEphemeral(t *testing.T) {
	mfatest.RunEphemeral(t, func(t *testing.T) mfatest.EphemeralHarness {
		rc, prefix := iamtest.Redis(t)
		return mfatest.EphemeralHarness{State: mfaredis.New(rc, mfaredis.WithPrefix(prefix))}
	})
}
