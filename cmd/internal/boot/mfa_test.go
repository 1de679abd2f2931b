package boot_test

import (
	"testing"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
)

func TestMFALogCodes(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "true": true, "1": true} {
		got, err := boot.MFALogCodes(boottest.Env(map[string]string{"OPENGATE_MFA_LOG_CODES": v}))
		if err != nil || got != want {
			t.Errorf("OPENGATE_MFA_LOG_CODES=%q: %v, %v; want %v", v, got, err, want)
		}
	}
	if _, err := boot.MFALogCodes(boottest.Env(map[string]string{"OPENGATE_MFA_LOG_CODES": "sometimes"})); err == nil {
		t.Error("a malformed OPENGATE_MFA_LOG_CODES is accepted")
	}
}
