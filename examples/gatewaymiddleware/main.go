// Command gatewaymiddleware is a custom API gateway in front of your own
// backend: it verifies OpenGate access tokens with auth/authverify (JWKS
// fetched from the issuer and cached), enforces a realm role per path prefix,
// and forwards the caller's identity to the backend in headers it controls.
//
//	ISSUER_BASE=http://localhost:8080 BACKEND_URL=http://localhost:9000 \
//	  go run ./examples/gatewaymiddleware
//
// Every piece is a func(http.Handler) http.Handler, so the same middleware
// drops into any router.
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	issuer, backend, listen := getenv("ISSUER_BASE"), getenv("BACKEND_URL"), getenv("LISTEN")
	if issuer == "" || backend == "" {
		return fmt.Errorf("ISSUER_BASE and BACKEND_URL are required")
	}
	if listen == "" {
		listen = ":8081"
	}
	target, err := url.Parse(backend)
	if err != nil {
		return fmt.Errorf("BACKEND_URL: %w", err)
	}
	verifier, err := authverify.New(ctx, issuer)
	if err != nil {
		return err
	}
	policy := []rule{
		{prefix: "/admin/", role: "admin"},
		{prefix: "/", role: ""}, // any authenticated caller
	}
	return iamhttp.Serve(ctx, listen, gateway(verifier, policy, target))
}

// rule requires role (a realm role; "" for any authenticated caller) on
// paths under prefix. The first matching rule applies.
type rule struct {
	prefix string
	role   string
}

// Identity headers the gateway sets for the backend. Callers cannot forge
// them: the gateway deletes any they send.
const (
	headerSubject = "X-Auth-Subject"
	headerRealm   = "X-Auth-Realm"
	headerClient  = "X-Auth-Client"
	headerRoles   = "X-Auth-Roles"
)

// gateway chains the middlewares in front of a reverse proxy to target.
func gateway(v *authverify.Verifier, policy []rule, target *url.URL) http.Handler {
	proxy := httputil.NewSingleHostReverseProxy(target)
	return iamhttp.Chain(proxy,
		stripIdentityHeaders,
		v.Middleware, // verifies a bearer token when present; 401 for a bad one
		authorize(policy),
		forwardIdentity,
	)
}

// stripIdentityHeaders removes identity headers a caller tried to send.
func stripIdentityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range []string{headerSubject, headerRealm, headerClient, headerRoles} {
			r.Header.Del(h)
		}
		next.ServeHTTP(w, r)
	})
}

// authorize applies the first rule whose prefix matches: 401 without a
// principal, 403 without the rule's role.
func authorize(policy []rule) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := iam.PrincipalFrom(r.Context())
			for _, rl := range policy {
				if !strings.HasPrefix(r.URL.Path, rl.prefix) {
					continue
				}
				switch {
				case p == nil:
					iamhttp.Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "a bearer token is required"))
				case rl.role != "" && !p.HasRole(rl.role):
					iamhttp.Error(w, r, iam.Errorf(iam.CodeForbidden, "role %s required", rl.role))
				default:
					next.ServeHTTP(w, r)
				}
				return
			}
			iamhttp.Error(w, r, iam.Errorf(iam.CodeNotFound, "no route"))
		})
	}
}

// forwardIdentity passes the verified principal to the backend.
func forwardIdentity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := iam.PrincipalFrom(r.Context()); p != nil {
			r.Header.Set(headerSubject, p.Subject)
			r.Header.Set(headerRealm, string(p.Realm))
			r.Header.Set(headerClient, p.ClientID)
			r.Header.Set(headerRoles, strings.Join(p.Roles, ","))
		}
		next.ServeHTTP(w, r)
	})
}
