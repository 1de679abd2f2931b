package gateway

import (
	"net/url"
	"path"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// cleanPath returns the path the gateway matches and forwards: u's decoded
// path with empty, "." and ".." segments resolved and no trailing slash
// (path.Clean), so that "//admin", "/x/../admin" and "/admin/" are all
// "/admin" — matched and forwarded as that, never matched as one path and
// served as another. Paths the upstreams could read differently are
// refused (CodeInvalid, 400): encoded "/" or "\" (%2F, %5C), a backslash,
// a control character, or a path that is not absolute.
func cleanPath(u *url.URL) (string, error) {
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		return "", iam.Invalidf("path", "the request path must be absolute")
	}
	if u.RawPath != "" {
		raw := u.RawPath
		for i := 0; i+2 < len(raw); i++ {
			if raw[i] == '%' && raw[i+1] == '2' && (raw[i+2] == 'f' || raw[i+2] == 'F') ||
				raw[i] == '%' && raw[i+1] == '5' && (raw[i+2] == 'c' || raw[i+2] == 'C') {
				return "", iam.Invalidf("path", "the request path must not hold an encoded slash or backslash")
			}
		}
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "", iam.Invalidf("path", "the request path must not hold control characters or backslashes")
		}
	}
	if isClean(p) {
		return p, nil
	}
	return path.Clean(p), nil
}

// isClean reports whether p (absolute) is already path.Clean's result, so
// the common case allocates nothing.
func isClean(p string) bool {
	if p == "/" {
		return true
	}
	if strings.HasSuffix(p, "/") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		// p[i] starts a segment: it must not be empty, "." or "..".
		rest := p[i+1:]
		if rest == "" || rest[0] == '/' || rest == "." || strings.HasPrefix(rest, "./") ||
			rest == ".." || strings.HasPrefix(rest, "../") {
			return false
		}
	}
	return true
}
