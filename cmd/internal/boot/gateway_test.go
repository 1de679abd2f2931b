package boot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
)

func TestRateLimitSync(t *testing.T) {
	tests := []struct {
		name, value string
		want        time.Duration
		err         bool
	}{
		{"UnsetIsTheDefaultInterval", "", gatewayredis.DefaultSyncInterval, false},
		{"ExactIsZero", "exact", 0, false},
		{"ZeroIsExact", "0", 0, false},
		{"ADuration", "250ms", 250 * time.Millisecond, false},
		{"TooShort", "1ms", 0, true},
		{"TooLong", "2m", 0, true},
		{"Negative", "-1s", 0, true},
		{"NotADuration", "often", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := boot.RateLimitSync(env(map[string]string{"OPENGATE_RATE_LIMIT_SYNC": tt.value}))
			if tt.err {
				if err == nil || !strings.Contains(err.Error(), "OPENGATE_RATE_LIMIT_SYNC") {
					t.Fatalf("RateLimitSync(%q) = %v, %v; want an error naming the variable", tt.value, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("RateLimitSync(%q) = %v, %v; want %v", tt.value, got, err, tt.want)
			}
		})
	}
}
