package iamhttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// publicBase is how PublicBase finds the public base URL of a request.
type publicBase struct {
	trusted      []netip.Prefix
	relativePath string
}

type publicBaseKey struct{}

// PublicBase returns middleware recording, for BaseURL, Location and
// Created, how the public base URL of its requests is found: the scheme and
// host the caller used — from X-Forwarded-Proto and X-Forwarded-Host, or
// else the first element of Forwarded (RFC 7239), when the connection's peer
// is in trusted (the gateway, a reverse proxy: OPENGATE_TRUSTED_PROXIES);
// otherwise the connection's own (https with TLS) and its Host header —
// followed by relativePath (OPENGATE_HTTP_RELATIVE_PATH, "" or
// ParseRelativePath's form). Forwarded headers from any other peer are
// ignored, so a caller cannot make OpenGate name another host.
func PublicBase(trusted []netip.Prefix, relativePath string) func(http.Handler) http.Handler {
	pb := &publicBase{trusted: trusted, relativePath: relativePath}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), publicBaseKey{}, pb)))
		})
	}
}

// BaseURL returns the public base URL of r, "scheme://host[:port]" followed
// by the relative path, as PublicBase found it (without PublicBase: the
// connection's scheme and Host, no relative path). It is Keycloak's base
// of absolute URLs: Location headers are BaseURL + the route's path.
func BaseURL(r *http.Request) string {
	pb, _ := r.Context().Value(publicBaseKey{}).(*publicBase)
	if pb == nil {
		pb = &publicBase{}
	}
	proto, host := "http", r.Host
	if r.TLS != nil {
		proto = "https"
	}
	if trustedPeer(r, pb.trusted) {
		if p, h := forwardedProtoHost(r.Header); p != "" || h != "" {
			if p != "" {
				proto = p
			}
			if h != "" {
				host = h
			}
		}
	}
	if !validHost(host) {
		host = "localhost"
	}
	return proto + "://" + host + pb.relativePath
}

// Location returns the absolute URL of path (an absolute path of the API,
// as the routes see it, without the relative path): BaseURL(r) + path.
func Location(r *http.Request, path string) string { return BaseURL(r) + path }

// trustedPeer reports whether the connection's peer is in trusted.
func trustedPeer(r *http.Request, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedProtoHost returns the scheme and host a proxy forwarded: the
// first values of X-Forwarded-Proto and X-Forwarded-Host, else the proto
// and host of Forwarded's first element (the outermost proxy's view of the
// client's request). A scheme other than http or https, or a host that is
// not made of host characters, is "".
func forwardedProtoHost(h http.Header) (proto, host string) {
	first := func(v string) string {
		v, _, _ = strings.Cut(v, ",")
		return strings.TrimSpace(v)
	}
	proto = first(h.Get("X-Forwarded-Proto"))
	host = first(h.Get("X-Forwarded-Host"))
	if proto == "" && host == "" {
		for _, pair := range strings.Split(first(h.Get("Forwarded")), ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
			v = strings.Trim(v, `"`)
			switch strings.ToLower(k) {
			case "proto":
				proto = v
			case "host":
				host = v
			}
		}
	}
	proto = strings.ToLower(proto)
	if proto != "http" && proto != "https" {
		proto = ""
	}
	if !validHost(host) {
		host = ""
	}
	return proto, host
}

// validHost accepts a host[:port] made of the characters of a DNS name, an
// IP literal and a port.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_') {
			return false
		}
	}
	return true
}

// ParseRelativePath checks and normalises a relative path setting
// (OPENGATE_HTTP_RELATIVE_PATH, Keycloak's --http-relative-path): "" and "/"
// are "" (the root); otherwise it must start with "/", and its segments be
// non-empty and made of letters, digits and "-._~"; a trailing "/" is
// dropped ("/auth/" is "/auth").
func ParseRelativePath(s string) (string, error) {
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		return "", nil
	}
	if !strings.HasPrefix(s, "/") {
		return "", errors.New("a relative path starts with /, as /auth")
	}
	for _, seg := range strings.Split(s[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", errors.New("a relative path has no empty, . or .. segment")
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
				return "", errors.New("a relative path is made of letters, digits and -._~ between its slashes")
			}
		}
	}
	return s, nil
}

// JoinRelativePath returns the public base URL base followed by
// relativePath, unless base already ends with it (a base given with the
// path included, as Keycloak's --hostname URL may be). base's trailing "/"
// is dropped.
func JoinRelativePath(base, relativePath string) string {
	base = strings.TrimSuffix(base, "/")
	if relativePath == "" || strings.HasSuffix(base, relativePath) {
		return base
	}
	return base + relativePath
}

// ServeUnder returns next served under relativePath (ParseRelativePath's
// form), as Keycloak serves under --http-relative-path: a request whose
// path is relativePath or starts with relativePath + "/" reaches next
// without it; GET /healthz, /readyz and /metrics reach next as they are
// (probes and scrapers keep their paths); any other request is 404
// (CodeNotFound). An empty relativePath is next itself.
func ServeUnder(relativePath string, next http.Handler) http.Handler {
	if relativePath == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			next.ServeHTTP(w, r)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, relativePath)
		if !ok || rest != "" && rest[0] != '/' {
			Error(w, r, iam.NotFoundf("not found: the API is served under %s", relativePath))
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = rest
		if r2.URL.Path == "" {
			r2.URL.Path = "/"
		}
		if r.URL.RawPath != "" {
			raw, ok := strings.CutPrefix(r.URL.RawPath, relativePath)
			if ok {
				r2.URL.RawPath = raw
			} else {
				r2.URL.RawPath = ""
			}
		}
		next.ServeHTTP(w, r2)
	})
}
