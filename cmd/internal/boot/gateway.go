package boot

import (
	"fmt"

	"github.com/opengate-iam/opengate/gateway"
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

// CORSOrigins reads OPENGATE_CORS_ORIGINS, the comma-separated origins the
// gateway allows cross-origin on every path (checked by gateway.WithCORS).
func CORSOrigins(getenv func(string) string) []string {
	return SplitList(getenv("OPENGATE_CORS_ORIGINS"))
}
