package clients

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// MaxRedirectURILength bounds a redirect URI.
const MaxRedirectURILength = 2048

// forbiddenSchemes can never be redirect targets: they run code or read
// local data in the browser.
var forbiddenSchemes = map[string]bool{
	"javascript": true, "data": true, "vbscript": true, "file": true,
	"blob": true, "about": true, "filesystem": true,
}

// ValidateRedirectURI checks a redirect URI for registration, with the rules
// of RFC 9700 (OAuth 2.0 Security BCP) and RFC 8252 (native apps):
//
//   - absolute, at most MaxRedirectURILength bytes, no fragment, no user
//     info, no wildcard ('*' anywhere);
//   - https with a host; or http only on a loopback host (127.0.0.0/8,
//     [::1] or localhost); or a private-use scheme of a native app
//     ("com.example.app:/callback"); never javascript:, data:, vbscript:,
//     file:, blob:, about: or filesystem:.
//
// Errors are CodeInvalid with field "redirectUris".
func ValidateRedirectURI(uri string) error {
	bad := func(why string) error {
		return iam.Invalidf("redirectUris", "redirect URI %q %s", truncate(uri, 100), why)
	}
	if uri == "" {
		return bad("is empty")
	}
	if len(uri) > MaxRedirectURILength {
		return iam.Invalidf("redirectUris", "redirect URIs must be at most %d bytes", MaxRedirectURILength)
	}
	if strings.Contains(uri, "#") {
		return bad("must not have a fragment")
	}
	if strings.Contains(uri, "*") {
		return bad("must not contain wildcards: register every URI exactly")
	}
	if hasControlOrSpace(uri) {
		return bad("must not contain spaces or control characters")
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return bad("must be an absolute URI")
	}
	scheme := strings.ToLower(u.Scheme)
	if u.User != nil {
		return bad("must not contain user info")
	}
	switch {
	case forbiddenSchemes[scheme]:
		return bad("has a forbidden scheme")
	case scheme == "https":
		if u.Host == "" || u.Hostname() == "" {
			return bad("must have a host")
		}
	case scheme == "http":
		if !isLoopbackHost(u.Hostname()) {
			return bad("must use https (plain http is allowed only for loopback hosts)")
		}
	default:
		// A private-use URI scheme of a native app (RFC 8252 section 7.1).
		if u.Opaque == "" && u.Path == "" && u.Host == "" {
			return bad("must have a path")
		}
	}
	return nil
}

// isLoopbackHost reports whether host (without brackets or port) is a
// loopback IP literal or localhost.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isLoopbackIPLiteral reports whether host is a loopback IP literal, whose
// port may vary at request time (RFC 8252 section 7.3).
func isLoopbackIPLiteral(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MatchRedirectURI reports whether uri, received in an authorization or
// logout request, may be redirected to for client c: it must equal one of
// c.RedirectURIs exactly (simple string comparison, RFC 9700 section 4.1.3),
// except that for a registered http URI on a loopback IP literal
// (127.0.0.1 or [::1]) any port is accepted, the rest still compared exactly
// (RFC 8252 section 7.3). A URI with a fragment never matches. It does not
// check that c is enabled or may use the authorization-code flow.
func MatchRedirectURI(c Client, uri string) bool {
	return matchURI(c.RedirectURIs, uri)
}

// PostLogoutRedirectURIs returns the URIs a client may be sent to after
// logout: its "post.logout.redirect.uris" attribute (Keycloak's "##"-separated
// list), where "+" stands for every redirect URI.
func PostLogoutRedirectURIs(c Client) []string {
	raw := c.Attributes[AttrPostLogoutRedirectURIs]
	if raw == "" {
		return nil
	}
	var out []string
	for _, u := range strings.Split(raw, "##") {
		if u == "+" {
			out = append(out, c.RedirectURIs...)
			continue
		}
		if u != "" {
			out = append(out, u)
		}
	}
	return out
}

// MatchPostLogoutRedirectURI is MatchRedirectURI for post_logout_redirect_uri,
// against PostLogoutRedirectURIs(c).
func MatchPostLogoutRedirectURI(c Client, uri string) bool {
	return matchURI(PostLogoutRedirectURIs(c), uri)
}

func matchURI(registered []string, uri string) bool {
	if uri == "" || strings.Contains(uri, "#") {
		return false
	}
	for _, r := range registered {
		if r == uri {
			return true
		}
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || !isLoopbackIPLiteral(u.Hostname()) || u.User != nil {
		return false
	}
	for _, r := range registered {
		ru, err := url.Parse(r)
		if err != nil || ru.Scheme != "http" || !isLoopbackIPLiteral(ru.Hostname()) {
			continue
		}
		if ru.Hostname() == u.Hostname() && ru.EscapedPath() == u.EscapedPath() &&
			ru.RawQuery == u.RawQuery && ru.ForceQuery == u.ForceQuery && validPort(u.Port()) {
			return true
		}
	}
	return false
}

// validPort reports whether p is empty or a port number 1-65535 written
// without leading zeros or signs.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

func hasControlOrSpace(s string) bool {
	for _, r := range s {
		if r <= 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
