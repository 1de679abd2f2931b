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
	// RoleRealmAdmin administers the realm it is granted in. It is
	// OpenGate's older name for the realm-management client role
	// realm-admin (PermRealmAdmin), which is canonical, as in Keycloak;
	// every realm's realm role realm-admin is made a composite of it, and
	// both confer the whole power.
	RoleRealmAdmin = "realm-admin"
)

// IsAdminRole reports whether the realm role called name confers
// administrative power by itself (RoleAdmin or RoleRealmAdmin). Besides
// them, only the realm-management client's roles do (IsAdminClientRole,
// AdminRoles).
func IsAdminRole(name string) bool {
	return name == RoleAdmin || name == RoleRealmAdmin
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

// CanAdminister reports whether the principal holds any administrative role
// in realm (Keycloak's "any admin role"): master administrators everywhere;
// in its own realm, the realm role admin or realm-admin, or any
// realm-management client role (Permissions). What each role allows is
// Can's.
func (p *Principal) CanAdminister(realm Realm) bool {
	if p == nil {
		return false
	}
	if p.IsMasterAdmin() {
		return true
	}
	if p.Realm != realm {
		return false
	}
	if p.HasRole(RoleRealmAdmin) || p.HasRole(RoleAdmin) {
		return true
	}
	return slices.ContainsFunc(p.ClientRoles[RealmManagement], IsPermission)
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
