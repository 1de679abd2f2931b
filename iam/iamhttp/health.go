package iamhttp

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Check reports whether a dependency is usable; it must honour ctx.
type Check func(ctx context.Context) error

// Health is the body of /healthz and /readyz, one shape for both:
// {"status":"ok","checks":{...}}. Status is "ok" or "unavailable"; Checks
// gives each dependency's status by name ("postgres":"ok"), and is empty for
// /healthz, which checks none.
type Health struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// The values of Health.Status and of each of its Checks; HealthExcluded
// only for a check left out with ?exclude=.
const (
	HealthOK          = "ok"
	HealthUnavailable = "unavailable"
	HealthExcluded    = "excluded"
)

// Healthz answers 200 {"status":"ok","checks":{}} while the process is
// alive.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		JSON(w, http.StatusOK, Health{Status: HealthOK, Checks: map[string]string{}})
	})
}

// Readyz runs every check (with a 2-second budget) and answers 200 when all
// pass, 503 otherwise, with a Health: "ok" or "unavailable", and the status
// of each check by name. Failure details are not shown (they may name
// hosts); they are logged, except when the caller has gone away meanwhile.
// ?exclude=name (repeatable) skips a check, reported as "excluded": for a
// probe that must not depend on it (background_tasks, when an event broker
// outage should not take every replica out of load balancing). Excluding a
// check that does not exist is a 400 invalid_request naming it.
func Readyz(checks map[string]Check) http.Handler {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		excluded := map[string]bool{}
		for _, n := range r.URL.Query()["exclude"] {
			if _, ok := checks[n]; !ok {
				Error(w, r, iam.Invalidf("exclude", "there is no readiness check %q", n))
				return
			}
			excluded[n] = true
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, result := http.StatusOK, Health{Status: HealthOK, Checks: map[string]string{}}
		for _, n := range names {
			if excluded[n] {
				result.Checks[n] = HealthExcluded
				continue
			}
			if err := checks[n](ctx); err != nil {
				if r.Context().Err() == nil {
					Logger(ctx).WarnContext(ctx, "readiness check failed", "check", n, "error", err.Error())
				}
				result.Checks[n] = HealthUnavailable
				result.Status, status = HealthUnavailable, http.StatusServiceUnavailable
				continue
			}
			result.Checks[n] = HealthOK
		}
		JSON(w, status, result)
	})
}
