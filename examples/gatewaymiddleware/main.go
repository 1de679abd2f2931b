// Command gatewaymiddleware is a custom API gateway in front of your own
// backend: it verifies OpenGate access tokens with auth/authverify (JWKS
// fetched from the issuer and cached), authorizes each request by its clean
// path, the caller's realm and the caller's roles in that realm, and forwards
// the caller's identity to the backend in headers it controls.
//
//	ISSUER_BASE=http://localhost:8080 REALM=shop BACKEND_URL=http://localhost:9000 \
//	  go run ./examples/gatewaymiddleware
//
// Every piece is a func(http.Handler) http.Handler, so the same middleware
// drops into any router.
//
// Two rules make path-based authorization hold: decide on the path the
// backend will serve (a path that is not in its clean form — "//admin",
// "/x/../admin", "/admin/./x", encoded slashes or dots — is refused, never
// reinterpreted), and check a role together with the realm that granted it
// (an "admin" of realm A is nobody in realm B; the verifier accepts tokens of
// every realm of the issuer).
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"path"
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
	issuer, realm, backend, listen := getenv("ISSUER_BASE"), iam.Realm(getenv("REALM")), getenv("BACKEND_URL"), getenv("LISTEN")
	if issuer == "" || backend == "" || realm == "" {
		return fmt.Errorf("ISSUER_BASE, REALM and BACKEND_URL are required")
	}
	if err := realm.Validate(); err != nil {
		return fmt.Errorf("REALM: %w", err)
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
	return iamhttp.Serve(ctx, listen, gateway(verifier, defaultPolicy(realm), target))
}

// defaultPolicy is the example's policy for a backend serving realm's users:
// /admin/realms/{realm}/... for whoever administers that realm (OpenGate's
// rule: a master admin, or an admin or realm-admin of the realm itself),
// anything else under /admin for master admins only, and every other path
// for any caller signed in to realm.
func defaultPolicy(realm iam.Realm) []rule {
	return []rule{
		{prefix: "/admin/realms", allow: administersPathRealm},
		{prefix: "/admin", allow: masterAdmin},
		{prefix: "/", allow: inRealm(realm, "")},
	}
}

// rule lets a request whose clean path is prefix, or under prefix (whole
// segments: "/admin" covers "/admin" and "/admin/x", not "/administrator"),
// through when allow accepts its caller. The first matching rule applies.
type rule struct {
	prefix string
	allow  func(p *iam.Principal, path string) bool
}

// matches reports whether the clean path p is r.prefix or under it.
func (r rule) matches(p string) bool {
	prefix := strings.TrimSuffix(r.prefix, "/")
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// inRealm accepts callers whose token realm issued, holding role there (""
// for any role).
func inRealm(realm iam.Realm, role string) func(*iam.Principal, string) bool {
	return func(p *iam.Principal, _ string) bool {
		return p.Realm == realm && (role == "" || p.HasRole(role))
	}
}

// masterAdmin accepts administrators of every realm: the master realm's
// admins.
func masterAdmin(p *iam.Principal, _ string) bool { return p.IsMasterAdmin() }

// administersPathRealm accepts, on /admin/realms/{realm}/..., callers who
// may administer {realm}; on /admin/realms itself, master admins.
func administersPathRealm(p *iam.Principal, clean string) bool {
	rest, ok := strings.CutPrefix(clean, "/admin/realms/")
	if !ok {
		return p.IsMasterAdmin()
	}
	name, _, _ := strings.Cut(rest, "/")
	realm := iam.Realm(name)
	return realm.Validate() == nil && p.CanAdminister(realm)
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
		cleanPathOnly,
		stripIdentityHeaders,
		v.Middleware, // verifies a bearer token when present; 401 for a bad one
		authorize(policy),
		forwardIdentity,
	)
}

// cleanPathOnly refuses (400) a request whose path is not in its clean form,
// so that the path authorize decides on is the path the backend serves: no
// empty, "." or ".." segments, no percent-encoded "/", "\", "." or "%"
// (which a backend might decode into one of those), no backslash and no
// control character. A trailing slash is kept: "/orders/" is clean.
func cleanPathOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isClean(r.URL) {
			iamhttp.Error(w, r, iam.Invalidf("path", "request path is not in its clean form"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isClean reports whether u's path is absolute and canonical (see
// cleanPathOnly).
func isClean(u *url.URL) bool {
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		return false
	}
	raw := strings.ToLower(u.EscapedPath())
	for _, enc := range []string{"%2f", "%5c", "%2e", "%25"} {
		if strings.Contains(raw, enc) {
			return false
		}
	}
	for _, c := range p {
		if c == '\\' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	want := path.Clean(p)
	if strings.HasSuffix(p, "/") && want != "/" {
		want += "/"
	}
	return p == want
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

// authorize applies the first rule matching the (clean) path: 401 without
// a principal, 403 when the rule does not allow the caller, 404 when no rule
// matches.
func authorize(policy []rule) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := iam.PrincipalFrom(r.Context())
			for _, rl := range policy {
				if !rl.matches(r.URL.Path) {
					continue
				}
				switch {
				case p == nil:
					iamhttp.Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "a bearer token is required"))
				case !rl.allow(p, r.URL.Path):
					iamhttp.Error(w, r, iam.Errorf(iam.CodeForbidden, "not allowed"))
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
