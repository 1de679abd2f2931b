package iam

import (
	"context"
	"slices"
)

// RoleReader reads a subject's current effective roles, composites
// expanded: rbac.Service, rbac.CachedResolver and the remote rbachttp.Client
// implement it. An unknown subject holds no roles.
type RoleReader interface {
	EffectiveRoles(ctx context.Context, realm Realm, subject string) (realmRoles []string, clientRoles map[string][]string, err error)
}

// MayChange applies the rule protecting more powerful subjects, shared by
// every service that changes a user or a client's service account (users,
// clients; rbac applies it to role mappings): the principal in ctx may
// change subject — a user id, or ServiceAccountSubject(clientUUID) — of
// realm only if it holds now, in realm, every admin role (AdminRoles of the
// effective realm and client roles: admin, realm-admin and the
// realm-management client's roles) subject holds now, unless it is a master
// administrator (RoleAdmin in MasterRealm) or subject itself. Both sides
// are read from roles, never from the token. It returns nil when allowed or
// when ctx carries no principal (the deployment's own code), CodeForbidden
// naming a role the caller lacks, or the error of roles (the change must
// then be refused).
func MayChange(ctx context.Context, roles RoleReader, realm Realm, subject, what string) error {
	p := PrincipalFrom(ctx)
	if p == nil || p.Realm == realm && p.Subject == subject {
		return nil
	}
	target, targetClients, err := roles.EffectiveRoles(ctx, realm, subject)
	if err != nil {
		return err
	}
	power := AdminRoles(target, targetClients)
	if len(power) == 0 {
		return nil
	}
	var held []string
	if p.Realm == realm || p.Realm == MasterRealm {
		heldRealm, heldClients, err := roles.EffectiveRoles(ctx, p.Realm, p.Subject)
		if err != nil {
			return err
		}
		held = AdminRoles(heldRealm, heldClients)
	}
	if p.Realm == MasterRealm && slices.Contains(held, RoleAdmin) {
		return nil // master administrators hold every power
	}
	for _, name := range power {
		if p.Realm != realm || !slices.Contains(held, name) {
			return Errorf(CodeForbidden,
				"the %s holds the administrative role %q: only a holder of every administrative role of a %s may change it", what, name, what)
		}
	}
	return nil
}
