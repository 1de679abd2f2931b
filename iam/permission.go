package iam

import "slices"

// RealmManagement is the clientId of the client every realm has, as in
// Keycloak, whose client roles are the realm's fine-grained administrative
// roles (Permission). Tokens carry the ones their subject holds in
// resource_access["realm-management"].roles.
const RealmManagement = "realm-management"

// Permission is a fine-grained administrative role of a realm: a client role
// of its realm-management client, with Keycloak's names and meanings
// (Keycloak's AdminRoles). Principal.Can reads them from the caller's
// client roles.
type Permission string

// The fine-grained administrative roles (Keycloak's).
const (
	PermViewUsers               Permission = "view-users"
	PermQueryUsers              Permission = "query-users"
	PermManageUsers             Permission = "manage-users"
	PermViewClients             Permission = "view-clients"
	PermQueryClients            Permission = "query-clients"
	PermManageClients           Permission = "manage-clients"
	PermCreateClient            Permission = "create-client"
	PermViewRealm               Permission = "view-realm"
	PermQueryRealms             Permission = "query-realms"
	PermManageRealm             Permission = "manage-realm"
	PermViewEvents              Permission = "view-events"
	PermManageEvents            Permission = "manage-events"
	PermQueryGroups             Permission = "query-groups"
	PermViewAuthorization       Permission = "view-authorization"
	PermManageAuthorization     Permission = "manage-authorization"
	PermViewIdentityProviders   Permission = "view-identity-providers"
	PermManageIdentityProviders Permission = "manage-identity-providers"
	PermImpersonation           Permission = "impersonation"
	// PermRealmAdmin is the composite of all the others: full
	// administration of the realm. The realm role RoleRealmAdmin is
	// OpenGate's older name for the same power and still confers it.
	PermRealmAdmin Permission = "realm-admin"
)

// Permissions returns every fine-grained administrative role, realm-admin
// last: the client roles of every realm's realm-management client.
func Permissions() []Permission {
	return []Permission{
		PermViewUsers, PermQueryUsers, PermManageUsers,
		PermViewClients, PermQueryClients, PermManageClients, PermCreateClient,
		PermViewRealm, PermQueryRealms, PermManageRealm,
		PermViewEvents, PermManageEvents, PermQueryGroups,
		PermViewAuthorization, PermManageAuthorization,
		PermViewIdentityProviders, PermManageIdentityProviders,
		PermImpersonation, PermRealmAdmin,
	}
}

// IsPermission reports whether name is one of Permissions.
func IsPermission(name string) bool {
	return slices.Contains(Permissions(), Permission(name))
}

// Composites returns the roles Keycloak makes perm a composite of:
// realm-admin contains every other one, view-users contains query-users and
// query-groups, view-clients contains query-clients; the others contain
// none. Holders of a composite hold its children in their tokens.
func (perm Permission) Composites() []Permission {
	switch perm {
	case PermRealmAdmin:
		all := Permissions()
		return all[:len(all)-1]
	case PermViewUsers:
		return []Permission{PermQueryUsers, PermQueryGroups}
	case PermViewClients:
		return []Permission{PermQueryClients}
	}
	return nil
}

// grantedBy returns the roles any one of which allows what perm allows,
// Keycloak's checks: managing implies viewing, viewing implies querying
// (view-users also lists groups), manage-clients implies create-client,
// and realm-admin implies everything.
func (perm Permission) grantedBy() []Permission {
	out := []Permission{perm, PermRealmAdmin}
	switch perm {
	case PermQueryUsers, PermQueryGroups:
		out = append(out, PermViewUsers, PermManageUsers)
	case PermViewUsers:
		out = append(out, PermManageUsers)
	case PermQueryClients:
		out = append(out, PermViewClients, PermManageClients)
	case PermViewClients, PermCreateClient:
		out = append(out, PermManageClients)
	case PermQueryRealms:
		out = append(out, PermViewRealm, PermManageRealm)
	case PermViewRealm:
		out = append(out, PermManageRealm)
	case PermViewEvents:
		out = append(out, PermManageEvents)
	case PermViewAuthorization:
		out = append(out, PermManageAuthorization)
	case PermViewIdentityProviders:
		out = append(out, PermManageIdentityProviders)
	}
	return out
}

// Can reports whether the principal may do in realm what perm allows: a
// master administrator everywhere; in its own realm, a holder of the realm
// role admin or realm-admin (OpenGate's older, realm-wide administrators),
// or of a realm-management client role that allows perm (perm itself, a
// role that implies it — manage-users implies view-users implies
// query-users — or realm-admin). The roles are the principal's effective
// roles, composites expanded, as tokens and iamhttp.Standing give them.
func (p *Principal) Can(realm Realm, perm Permission) bool {
	if p == nil {
		return false
	}
	if p.IsMasterAdmin() {
		return true
	}
	if p.Realm != realm {
		return false
	}
	if p.HasRole(RoleAdmin) || p.HasRole(RoleRealmAdmin) {
		return true
	}
	held := p.ClientRoles[RealmManagement]
	for _, g := range perm.grantedBy() {
		if slices.Contains(held, string(g)) {
			return true
		}
	}
	return false
}

// AdminRoles returns the administrative power of a subject whose effective
// roles are realmRoles and clientRoles (by clientId), sorted and without
// repeats: the realm roles admin and realm-admin it holds, and its
// realm-management client roles that are Permissions, named
// "realm-management/{role}". Every other role confers power only by
// containing one of these, so the effective roles of a subject,
// composites expanded, name all the power it holds.
func AdminRoles(realmRoles []string, clientRoles map[string][]string) []string {
	var out []string
	for _, name := range []string{RoleAdmin, RoleRealmAdmin} {
		if slices.Contains(realmRoles, name) {
			out = append(out, name)
		}
	}
	for _, name := range clientRoles[RealmManagement] {
		if IsPermission(name) {
			out = append(out, PermissionLabel(Permission(name)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PermissionLabel names perm among AdminRoles: "realm-management/{perm}".
func PermissionLabel(perm Permission) string { return RealmManagement + "/" + string(perm) }

// IsAdminClientRole reports whether the client role name of the client
// called clientID confers administrative power: a Permission of the
// realm-management client.
func IsAdminClientRole(clientID, name string) bool {
	return clientID == RealmManagement && IsPermission(name)
}
