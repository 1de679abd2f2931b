// Command gatewaymiddleware is a gateway of your own in front of a
// multi-tenant backend, built on OpenGate's gateway package: the same chain
// as OpenGate's own gateway (cleaned paths, token verification against the
// issuer's JWKS, rate limits, CORS, the request log) plus two middlewares
// of its own, placed after authentication with gateway.WithMiddleware:
//
//   - tenantHeader: every API call names its tenant in X-Tenant, and the
//     tenant must be the realm that issued the caller's token (a master
//     administrator may act for any tenant). The backend selects data by
//     that header, so a token of tenant A can never read tenant B's.
//   - forwardIdentity: the backend gets the verified caller in headers the
//     gateway controls (X-Auth-Subject, X-Auth-Realm, X-Auth-Client,
//     X-Auth-Roles); a caller's own copies of them are dropped.
//
// and a route policy: /api/admin needs the realm role "admin".
//
//	go run ./examples/gatewaymiddleware -opengate http://localhost:8080 -backend http://localhost:9000
//
// Flags (the defaults shown) — none collides with OpenGate's ports 8080-8088:
//
//	-addr localhost:8091              where this gateway listens (it logs it)
//	-opengate http://localhost:8080   OpenGate's base URL: tokens of its realms are accepted
//	-backend http://localhost:9000    your backend
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gatewaymiddleware:", err)
		}
		os.Exit(1)
	}
}

// run parses args (the flags above; flag errors and -h go to stderr) and
// serves the gateway until ctx ends.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatewaymiddleware", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("addr", "localhost:8091", "listen address")
	issuer := fs.String("opengate", "http://localhost:8080", "OpenGate's base URL (the issuer base of the tokens accepted)")
	backend := fs.String("backend", "http://localhost:9000", "the backend's base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	verifier, err := authverify.New(ctx, *issuer)
	if err != nil {
		return err
	}
	gw, err := newGateway(verifier, *backend)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	slog.Info("gatewaymiddleware listening", "addr", "http://"+ln.Addr().String(), "opengate", *issuer, "backend", *backend)
	return iamhttp.ServeListener(ctx, ln, gw)
}

// newGateway routes /api/* (a bearer token required) and /health (public)
// to the backend at backendURL, behind the tenant and identity
// middlewares, with rate limits in memory and the admin policy.
func newGateway(v gateway.Verifier, backendURL string) (*gateway.Gateway, error) {
	backend, err := gateway.ProxyTo("backend", backendURL)
	if err != nil {
		return nil, err
	}
	return gateway.New([]gateway.Route{
		{Path: "/api/*", Upstream: backend, Access: gateway.Protected},
		{Path: "/health", Upstream: backend, Access: gateway.Public, Rate: gateway.RateNone},
	},
		gateway.WithVerifier(v),
		gateway.WithRateLimits(gateway.DefaultLimits(), gateway.NewMemoryLimiter()),
		gateway.RequireRole("/api/admin", "admin"),
		gateway.WithMiddleware(tenantHeader, forwardIdentity),
	)
}

// Headers between the caller, this gateway and the backend.
const (
	headerTenant  = "X-Tenant"
	headerSubject = "X-Auth-Subject"
	headerRealm   = "X-Auth-Realm"
	headerClient  = "X-Auth-Client"
	headerRoles   = "X-Auth-Roles"
)

// tenantHeader requires authenticated requests to name their tenant in
// X-Tenant (400 without it) and the tenant to be the principal's realm
// (403 otherwise), unless the principal is a master administrator.
// Anonymous requests (public routes) pass: they reach no tenant's data.
func tenantHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := iam.PrincipalFrom(r.Context())
		if p == nil {
			next.ServeHTTP(w, r)
			return
		}
		tenant, err := iam.ParseRealm(r.Header.Get(headerTenant))
		switch {
		case err != nil:
			iamhttp.Error(w, r, iam.Invalidf("X-Tenant", "the X-Tenant header must name the tenant"))
		case tenant != p.Realm && !p.IsMasterAdmin():
			iamhttp.Error(w, r, iam.Errorf(iam.CodeForbidden, "the token was not issued for tenant %s", tenant))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// forwardIdentity replaces the identity headers with the verified
// principal's (none for anonymous requests), so the backend can trust them.
func forwardIdentity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range []string{headerSubject, headerRealm, headerClient, headerRoles} {
			r.Header.Del(h)
		}
		if p := iam.PrincipalFrom(r.Context()); p != nil {
			r.Header.Set(headerSubject, p.Subject)
			r.Header.Set(headerRealm, string(p.Realm))
			r.Header.Set(headerClient, p.ClientID)
			r.Header.Set(headerRoles, strings.Join(p.Roles, ","))
		}
		next.ServeHTTP(w, r)
	})
}
