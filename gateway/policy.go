package gateway

import (
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// Policy decides whether an authenticated request may go on. p is the
// verified principal, nil for an anonymous request (Optional routes
// without a token; Public routes always, since the gateway does not read
// their tokens). It returns nil to let the request through, or the refusal:
// an error of code iam.CodeUnauthenticated is answered 401 with a Bearer
// challenge, any other with the status of its code (iam.CodeForbidden:
// 403).
type Policy func(r *http.Request, p *iam.Principal) error

type policy struct {
	table  table
	path   string
	policy Policy
}

// WithPolicy applies policy to every request whose cleaned path is path or
// lies under it — path is a template as in Route.Path ("/admin/realms/{realm}/clients"
// covers that path and everything under it). Policies run after
// authentication, in the order they were added; the first refusal answers.
func WithPolicy(path string, fn Policy) Option {
	return func(g *Gateway) error {
		if fn == nil {
			return iam.Invalidf("policy", "gateway: nil policy for %q", path)
		}
		p := policy{path: path, policy: fn}
		if err := p.table.add(&compiled{Route: Route{Path: strings.TrimSuffix(strings.TrimSuffix(path, "*"), "/") + "/*"}}); err != nil {
			return err
		}
		g.policies = append(g.policies, p)
		return nil
	}
}

// RequireRole lets a request whose path lies under path (see WithPolicy)
// through only with a principal holding the realm role role: 401 without a
// principal, 403 without the role. Combined with the gateway's realm rule
// the role is one of the path's realm (or a master administrator's).
func RequireRole(path, role string) Option {
	return WithPolicy(path, func(_ *http.Request, p *iam.Principal) error {
		if p == nil {
			return iam.Errorf(iam.CodeUnauthenticated, "a bearer token is required")
		}
		if !p.HasRole(role) {
			return iam.Errorf(iam.CodeForbidden, "the role %s is required", role)
		}
		return nil
	})
}

// applyPolicies runs the policies covering the request, then next.
func (g *Gateway) applyPolicies(next http.Handler, w http.ResponseWriter, r *http.Request, s *state) {
	for i := range g.policies {
		p := &g.policies[i]
		if c, _ := p.table.match(s.path); c == nil {
			continue
		}
		if err := p.policy(r, s.principal); err != nil {
			if iam.ErrorCode(err) == iam.CodeUnauthenticated {
				code := ""
				if s.principal != nil {
					code = "invalid_token"
				}
				w.Header().Set("WWW-Authenticate", bearerChallenge(s.realm, code, ""))
			}
			g.fail(w, r, err)
			return
		}
	}
	next.ServeHTTP(w, r)
}
