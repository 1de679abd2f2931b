package boot

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
)

// PprofAddr reads OPENGATE_PPROF_ADDR, the opt-in listener of Go's
// runtime profiles (net/http/pprof): "" (the default) serves none; a port
// alone ("6060" or ":6060") listens on the loopback interface only
// (127.0.0.1); host:port listens there. The profiles expose the process's
// internals (command line, goroutine stacks, heap): they are never served
// on the API or management listeners.
func PprofAddr(getenv func(string) string) (string, error) {
	v := strings.TrimSpace(getenv("OPENGATE_PPROF_ADDR"))
	if v == "" {
		return "", nil
	}
	port := strings.TrimPrefix(v, ":")
	if n, err := strconv.Atoi(port); err == nil {
		if n < 0 || n > 65535 {
			return "", fmt.Errorf("OPENGATE_PPROF_ADDR: %q is not a port", v)
		}
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil || host == "" {
		return "", fmt.Errorf("OPENGATE_PPROF_ADDR: %q is neither a port nor host:port", v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("OPENGATE_PPROF_ADDR: %q is not a port", port)
	}
	return v, nil
}

// PprofHandler serves Go's runtime profiles under /debug/pprof/ (index,
// cmdline, profile, symbol, trace and the named profiles: heap,
// goroutine, allocs, block, mutex, threadcreate).
func PprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// ServePprof serves PprofHandler on addr (from PprofAddr) until ctx ends;
// "" serves nothing and returns nil. Its Wait returns when it has stopped.
func ServePprof(ctx context.Context, addr string) (*Management, error) {
	if addr == "" {
		return nil, nil
	}
	m, err := ServeManagement(ctx, addr, PprofHandler())
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_PPROF_ADDR: %w", err)
	}
	return m, nil
}
