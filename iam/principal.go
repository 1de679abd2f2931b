package iam

import (
	"context"
	"slices"
)

// Role names with a meaning to OpenGate itself.
const (
	// RoleAdmin in the master realm administers every realm; in any other
	// realm it administers that realm.
	RoleAdmin = "admin"
	// RoleRealmAdmin administers the realm it is granted in.
	RoleRealmAdmin = "realm-admin"
)

// IsAdminRole reports whether the realm role called name confers
// administrative power by itself (RoleAdmin or RoleRealmAdmin). Every other
// role confers power only by containing one of these, so the effective realm
// roles of a subject, composites expanded, name all the power it holds.
func IsAdminRole(name string) bool {
	return name == RoleAdmin || name == RoleRealmAdmin
}

// AdminRoles returns the roles among realmRoles that confer administrative
// power (IsAdminRole), sorted and without repeats: the administrative power
// of a subject whose effective realm roles are realmRoles.
func AdminRoles(realmRoles []string) []string {
	var out []string
	for _, name := range []string{RoleAdmin, RoleRealmAdmin} {
		if slices.Contains(realmRoles, name) {
			out = append(out, name)
		}
	}
	return out
}

// Principal is the verified caller of a request: a user, or a client acting
// through its service account.
type Principal struct {
	Subject   string   // user id, or the service account's id
	Realm     Realm    // the realm whose issuer signed the token
	ClientID  string   // the client (azp) the token was issued to
	Roles     []string // effective realm roles
	Scopes    []string // granted scopes
	SessionID string   // sid; empty for client-credentials tokens
	Username  string   // preferred_username, if known
	// ClientRoles are effective client roles by clientId.
	ClientRoles map[string][]string
}

// HasRole reports whether the principal holds realm role name.
func (p *Principal) HasRole(name string) bool {
	return p != nil && slices.Contains(p.Roles, name)
}

// HasScope reports whether scope was granted.
func (p *Principal) HasScope(scope string) bool {
	return p != nil && slices.Contains(p.Scopes, scope)
}

// IsMasterAdmin reports whether the principal administers every realm.
func (p *Principal) IsMasterAdmin() bool {
	return p != nil && p.Realm == MasterRealm && p.HasRole(RoleAdmin)
}

// CanAdminister reports whether the principal may use the admin API of realm:
// master administrators everywhere, and an admin or realm-admin of the realm
// itself.
func (p *Principal) CanAdminister(realm Realm) bool {
	if p == nil {
		return false
	}
	if p.IsMasterAdmin() {
		return true
	}
	return p.Realm == realm && (p.HasRole(RoleRealmAdmin) || p.HasRole(RoleAdmin))
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, or nil when the caller is
// anonymous.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
