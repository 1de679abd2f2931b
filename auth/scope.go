package auth

import (
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/clients"
)

// Scopes OpenGate gives a meaning to.
const (
	ScopeOpenID  = "openid"
	ScopeProfile = "profile"
	ScopeEmail   = "email"
)

// defaultClientScopes are Keycloak's default client scopes of a new client,
// used when a client lists none.
var defaultClientScopes = []string{"web-origins", "acr", "profile", "roles", "basic", "email"}

// inTokenScope reports whether a granted client scope appears in the scope
// claim (Keycloak's include.in.token.scope: false for roles, web-origins, acr
// and basic).
func inTokenScope(s string) bool {
	switch s {
	case "roles", "web-origins", "acr", "basic":
		return false
	}
	return true
}

// grantedScope is the outcome of scope negotiation.
type grantedScope struct {
	claim   string // the scope claim and response field
	openid  bool
	profile bool
	email   bool
}

// parseScope splits a space-separated scope parameter, dropping duplicates.
func parseScope(s string) []string {
	var out []string
	for _, f := range strings.Split(s, " ") {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// negotiateScope grants c its default client scopes plus the requested
// optional ones (and openid if requested). A requested scope the client may
// not have is invalid_scope.
func negotiateScope(c clients.Client, requested string) (grantedScope, error) {
	defaults, optional := c.DefaultClientScopes, c.OptionalClientScopes
	if len(defaults) == 0 && len(optional) == 0 {
		defaults = defaultClientScopes
	}
	req := parseScope(requested)
	for _, s := range req {
		if s != ScopeOpenID && !slices.Contains(defaults, s) && !slices.Contains(optional, s) {
			return grantedScope{}, oauthErr(ErrorInvalidScope, "Invalid scopes: %s", requested)
		}
	}
	var granted []string
	if slices.Contains(req, ScopeOpenID) {
		granted = append(granted, ScopeOpenID)
	}
	granted = append(granted, defaults...)
	for _, s := range req {
		if slices.Contains(optional, s) && !slices.Contains(granted, s) {
			granted = append(granted, s)
		}
	}
	return scopeOf(granted), nil
}

// scopeOf builds the grantedScope of granted client scopes.
func scopeOf(granted []string) grantedScope {
	var g grantedScope
	var b strings.Builder
	for _, s := range granted {
		if !inTokenScope(s) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
		switch s {
		case ScopeOpenID:
			g.openid = true
		case ScopeProfile:
			g.profile = true
		case ScopeEmail:
			g.email = true
		}
	}
	g.claim = b.String()
	return g
}

// narrowScope returns the scope for a refresh with requested: the original
// when requested is empty, else requested, which must be a subset of the
// original (RFC 6749 §6), or invalid_scope.
func narrowScope(original, requested string) (grantedScope, error) {
	orig := parseScope(original)
	if requested == "" {
		return scopeOf(orig), nil
	}
	req := parseScope(requested)
	for _, s := range req {
		if !slices.Contains(orig, s) {
			return grantedScope{}, oauthErr(ErrorInvalidScope, "Invalid scopes: %s", requested)
		}
	}
	return scopeOf(req), nil
}
