package iamhttp

import (
	"context"
	"net/http"
	"sort"
	"time"
)

// Check reports whether a dependency is usable; it must honour ctx.
type Check func(ctx context.Context) error

// Healthz answers 200 {"status":"ok"} while the process is alive.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// Readyz runs every check (with a 2-second budget) and answers 200 when all
// pass, 503 otherwise, with the status of each by name. Failure details are
// not shown (they may name hosts); they are logged.
func Readyz(checks map[string]Check) http.Handler {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, result := http.StatusOK, map[string]string{}
		for _, n := range names {
			if err := checks[n](ctx); err != nil {
				Logger(ctx).WarnContext(ctx, "readiness check failed", "check", n, "error", err.Error())
				result[n] = "unavailable"
				status = http.StatusServiceUnavailable
				continue
			}
			result[n] = "ok"
		}
		JSON(w, status, map[string]any{"status": http.StatusText(status), "checks": result})
	})
}
