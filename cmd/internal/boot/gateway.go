package boot

import (
	"fmt"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
)

// RateLimits reads the gateway's rate limits, each "{requests}/{period}"
// ("600/1m", "20/s") or "off", defaulting to gateway.DefaultLimits:
// OPENGATE_RATE_LIMIT (per client address), OPENGATE_RATE_LIMIT_LOGIN (per
// address on login routes) and OPENGATE_RATE_LIMIT_CLIENT (per realm and
// client). The error names the variable.
func RateLimits(getenv func(string) string) (gateway.Limits, error) {
	l := gateway.DefaultLimits()
	for _, s := range []struct {
		env  string
		rate *gateway.Rate
	}{{"OPENGATE_RATE_LIMIT", &l.PerIP}, {"OPENGATE_RATE_LIMIT_LOGIN", &l.Login}, {"OPENGATE_RATE_LIMIT_CLIENT", &l.PerClient}} {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		r, err := gateway.ParseRate(v)
		if err != nil {
			return gateway.Limits{}, fmt.Errorf("%s: %q is not a rate (e.g. 600/1m, or off)", s.env, v)
		}
		*s.rate = r
	}
	return l, nil
}

// RateLimitSync reads OPENGATE_RATE_LIMIT_SYNC, how the rate limits in
// Redis are counted: "0" or "exact" for one round trip to Redis per request
// (0 is returned), else a duration from 10ms to 1m, the interval at which
// each replica, admitting from memory, synchronises its counts with Redis
// (gatewayredis.WithSync). Unset: gatewayredis.DefaultSyncInterval. The
// error names the variable.
func RateLimitSync(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv("OPENGATE_RATE_LIMIT_SYNC"))
	switch v {
	case "":
		return gatewayredis.DefaultSyncInterval, nil
	case "0", "exact":
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 10*time.Millisecond || d > time.Minute {
		return 0, fmt.Errorf("OPENGATE_RATE_LIMIT_SYNC: %q is neither exact nor a duration from 10ms to 1m", v)
	}
	return d, nil
}

// CORSOrigins reads OPENGATE_CORS_ORIGINS, the comma-separated origins the
// gateway allows cross-origin on every path (checked by gateway.WithCORS).
func CORSOrigins(getenv func(string) string) []string {
	return SplitList(getenv("OPENGATE_CORS_ORIGINS"))
}
