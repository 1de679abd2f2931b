package boot

import (
	"log/slog"
	"net/http"

	"github.com/opengate-iam/opengate/internal/routing"
)

// Routes is what a binary serves besides health, readiness and metrics (see
// routing.Routes).
type Routes = routing.Routes

// Router returns the handler every OpenGate binary serves (see
// routing.Router).
func Router(rt Routes, log *slog.Logger) http.Handler { return routing.Router(rt, log) }
