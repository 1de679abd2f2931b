package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// Access is what a route requires of its caller before the gateway passes
// the request on.
type Access int

const (
	// Protected routes need a valid bearer token: a request without one is
	// answered 401 with WWW-Authenticate: Bearer. It is the zero value, so
	// a route that forgets to say is protected.
	Protected Access = iota
	// Public routes pass without a token and the gateway does not look at
	// one: their upstream authenticates the caller itself (the OIDC
	// endpoints by client credentials, login pages by their session
	// cookie, e-mailed links by their key).
	Public
	// Optional routes verify a bearer token when the request has one (401
	// for an invalid one, 403 for another realm's) and pass requests
	// without one anonymously, for the upstream to decide: the account
	// pages, which a browser reaches with a session cookie and an API
	// client with a token.
	Optional
)

// String returns "protected", "public" or "optional".
func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case Optional:
		return "optional"
	case Protected:
		return "protected"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// RateClass selects the rate limits a route's requests count against (see
// Limits).
type RateClass int

const (
	// RateDefault counts against the per-client-IP and the per-realm-and-
	// client limits.
	RateDefault RateClass = iota
	// RateLogin also counts against the stricter per-IP limit of the
	// endpoints that check credentials (token, authorization, login pages).
	RateLogin
	// RateNone is never limited (health checks).
	RateNone
)

// DefaultMaxBodyBytes is the request body limit of a route without
// MaxBodyBytes: the services' own JSON limit (1 MiB).
const DefaultMaxBodyBytes = 1 << 20

// Route sends the requests whose cleaned path matches Path to Upstream.
type Route struct {
	// Path is the path template: literal segments, "{name}" for any one
	// segment, and a final "*" for the rest of the path (zero or more
	// segments: "/admin/*" matches "/admin" and everything under it). A
	// segment named {realm} is the realm of the request: a token of another
	// realm is refused (403) unless its caller is a master administrator,
	// and the realm selects CORS origins and rate-limit buckets. When
	// templates overlap, literal segments win over {name}, and {name} over
	// "*". Path is also the route's label in logs and metrics.
	Path string
	// Upstream serves the route.
	Upstream *Upstream
	// Access is what the caller needs (Protected when unset).
	Access Access
	// Rate selects the rate limits (RateDefault when unset).
	Rate RateClass
	// MaxBodyBytes bounds the request body (413 beyond it); 0 means
	// DefaultMaxBodyBytes, a negative value no limit.
	MaxBodyBytes int64
}

// Upstream is where a route's requests go: a service's base URL, proxied,
// or a handler in this process (the all-in-one), called directly. Name
// labels the upstream in logs, metrics and error messages ("auth").
type Upstream struct {
	Name    string
	URL     *url.URL
	Handler http.Handler
}

// ProxyTo returns the upstream proxied at baseURL, an http or https URL
// ("http://auth-service:8081"); a path in it prefixes every request's path.
func ProxyTo(name, baseURL string) (*Upstream, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, iam.Invalidf("upstream", "upstream %s: %q is not an http(s) base URL", name, baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return &Upstream{Name: name, URL: u}, nil
}

// Local returns the upstream that is h, in this process: requests reach it
// without a network hop, behind the same chain as proxied ones.
func Local(name string, h http.Handler) *Upstream { return &Upstream{Name: name, Handler: h} }

// segment kinds of a compiled template.
type node struct {
	literal   map[string]*node
	param     *node
	paramName string
	route     *compiled // the route ending here
	rest      *compiled // the route whose template ends here with "*"
}

// compiled is a route ready to serve.
type compiled struct {
	Route
	maxBody int64 // resolved: < 0 none
	serve   http.Handler
}

// table matches cleaned paths to routes.
type table struct{ root node }

// add compiles rt's template into t; it fails on a malformed template and
// on a template another route already has.
func (t *table) add(c *compiled) error {
	segs, rest, err := splitTemplate(c.Path)
	if err != nil {
		return err
	}
	n := &t.root
	for _, s := range segs {
		if name, ok := paramName(s); ok {
			if n.param == nil {
				n.param = &node{}
				n.paramName = name
			} else if n.paramName != name {
				return iam.Invalidf("path", "route %q: parameter {%s} where another route has {%s}", c.Path, name, n.paramName)
			}
			n = n.param
			continue
		}
		if n.literal == nil {
			n.literal = map[string]*node{}
		}
		next := n.literal[s]
		if next == nil {
			next = &node{}
			n.literal[s] = next
		}
		n = next
	}
	slot := &n.route
	if rest {
		slot = &n.rest
	}
	if *slot != nil {
		return iam.Invalidf("path", "route %q is declared twice", c.Path)
	}
	*slot = c
	return nil
}

// splitTemplate returns the segments of a template and whether it ends in
// "*".
func splitTemplate(tmpl string) ([]string, bool, error) {
	if !strings.HasPrefix(tmpl, "/") {
		return nil, false, iam.Invalidf("path", "route %q: a template starts with /", tmpl)
	}
	if tmpl == "/" {
		return nil, false, nil
	}
	segs := strings.Split(tmpl[1:], "/")
	rest := false
	if segs[len(segs)-1] == "*" {
		rest, segs = true, segs[:len(segs)-1]
	}
	for _, s := range segs {
		if name, ok := paramName(s); ok {
			if name == "" || strings.ContainsAny(name, "{}*") {
				return nil, false, iam.Invalidf("path", "route %q: malformed parameter %q", tmpl, s)
			}
			continue
		}
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "{}*") {
			return nil, false, iam.Invalidf("path", "route %q: malformed segment %q", tmpl, s)
		}
	}
	return segs, rest, nil
}

func paramName(seg string) (string, bool) {
	if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// match returns the route of the cleaned path p and the value of its
// {realm} segment ("" when it has none), or nil.
func (t *table) match(p string) (*compiled, string) {
	var realm string
	c := t.root.match(strings.TrimPrefix(p, "/"), p == "/", &realm)
	return c, realm
}

// match matches the remaining path rest (without leading slash) below n;
// end is true when no segment is left. Literal segments are tried before
// the parameter, the parameter before "*".
func (n *node) match(rest string, end bool, realm *string) *compiled {
	if end {
		if n.route != nil {
			return n.route
		}
		return n.rest
	}
	seg, tail, more := strings.Cut(rest, "/")
	if next := n.literal[seg]; next != nil {
		if c := next.match(tail, !more, realm); c != nil {
			return c
		}
	}
	if n.param != nil && seg != "" {
		if c := n.param.match(tail, !more, realm); c != nil {
			if n.paramName == "realm" && *realm == "" {
				*realm = seg
			}
			return c
		}
	}
	return n.rest
}
