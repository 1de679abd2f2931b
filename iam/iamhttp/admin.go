package iamhttp

import (
	"context"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
)

// Standing answers what the subject of a verified token holds now, so that
// an administrator who was disabled, demoted, or whose realm was disabled
// stops administering at once instead of when the token expires.
// auth.Standing implements it over the realms, users, clients and rbac
// services (in process, or their remote clients with their event-invalidated
// caches).
type Standing interface {
	// CurrentRoles returns the effective realm roles and client roles (by
	// clientId, the realm-management client's among them) subject (a user
	// id, or "service-account-{clientUUID}") holds now in realm. It fails
	// with CodeUnauthenticated when realm or the subject — a user, or a
	// service account's client — no longer exists or is disabled; any
	// other error means the answer is unknown, and the request is refused
	// with it (fail closed).
	CurrentRoles(ctx context.Context, realm iam.Realm, subject string) (realmRoles []string, clientRoles map[string][]string, err error)
}

// AdminGuard authorizes the admin API. Every admin route sits behind one of
// its middlewares, applied once per route group by the handler packages'
// Mount (never by each handler), and each works the same way:
//
//  1. no principal in the context (iam.PrincipalFrom, put there by the
//     token-verifying middleware in front): 401 (CodeUnauthenticated);
//  2. the token's roles do not confer the power the route needs: 403
//     (CodeForbidden), without further lookups;
//  3. with a Standing: the subject's current state is read and the check
//     repeated with its current realm and client roles — 401 if the
//     subject or its realm is gone or disabled, 403 if the power was
//     taken away — and the principal in the context is replaced by one
//     carrying the current roles, for the handler and the services below
//     it.
//
// The power a route group needs is a fine-grained administrative role of
// the path's realm (Realm, iam.Principal.Can: Keycloak's realm-management
// roles, where managing implies viewing and viewing implies querying), any
// of them (RealmAnyAdmin), one that depends on the object addressed
// (RealmFor), the realm's full administration (RealmAdmin), or master's
// admin (MasterAdmin). The admin role of master has every power
// everywhere.
//
// A nil *AdminGuard, or one without a Standing, trusts the token's roles
// until it expires. An AdminGuard is safe for concurrent use.
type AdminGuard struct {
	standing Standing
}

// NewAdminGuard returns a guard that checks callers' standing with standing
// (nil: the token's roles only).
func NewAdminGuard(standing Standing) *AdminGuard {
	return &AdminGuard{standing: standing}
}

// Realm returns the middleware of a group of routes of one realm,
// /admin/realms/{realm}/..., that need perm and every one of also in the
// path's realm (iam.Principal.Can): for instance Realm(
// iam.PermViewUsers) for reading users, which view-users, manage-users,
// realm-admin (client or realm role) and master's admin allow. A malformed
// {realm} is 400 (CodeInvalid) once the caller is authenticated.
func (g *AdminGuard) Realm(perm iam.Permission, also ...iam.Permission) func(http.Handler) http.Handler {
	perms := append([]iam.Permission{perm}, also...)
	return func(next http.Handler) http.Handler {
		return g.guard(next, func() rule {
			return func(r *http.Request, p *iam.Principal) error {
				realm, err := Realm(r)
				if err != nil {
					return err
				}
				return can(p, realm, perms)
			}
		})
	}
}

// RealmFor returns the middleware of a group of routes of one realm whose
// needed power depends on the object addressed (a role by id is a realm
// role, managed with the realm, or a client role, managed with its
// client): the caller must first hold some administrative role of the
// path's realm (as RealmAnyAdmin), then every permission need returns for
// the request. need runs once per request, only for such callers; its
// error is the answer (a failed lookup; an object that does not exist
// should rather return the permissions of the likelier kind and let the
// handler answer 404).
func (g *AdminGuard) RealmFor(need func(*http.Request) ([]iam.Permission, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return g.guard(next, func() rule {
			var perms []iam.Permission // of this request, once known
			return func(r *http.Request, p *iam.Principal) error {
				realm, err := Realm(r)
				if err != nil {
					return err
				}
				if !p.CanAdminister(realm) {
					return iam.Errorf(iam.CodeForbidden, "an administrative role of realm %q is required", realm)
				}
				if perms == nil {
					if perms, err = need(r); err != nil {
						return err
					}
					if len(perms) == 0 {
						return iam.Errorf(iam.CodeInternal, "no permission for the route")
					}
				}
				return can(p, realm, perms)
			}
		})
	}
}

// RealmAnyAdmin protects routes of one realm that any of its administrators
// uses, whatever their role (Keycloak lets any administrator list the
// realm's roles and read the realm's name): the caller must hold some
// administrative role of the path's realm (iam.Principal.CanAdminister).
func (g *AdminGuard) RealmAnyAdmin(next http.Handler) http.Handler {
	return g.guard(next, func() rule {
		return func(r *http.Request, p *iam.Principal) error {
			realm, err := Realm(r)
			if err != nil {
				return err
			}
			if !p.CanAdminister(realm) {
				return iam.Errorf(iam.CodeForbidden, "an administrative role of realm %q is required", realm)
			}
			return nil
		}
	})
}

// RealmAdmin protects routes of one realm that need its full
// administration: Realm(iam.PermRealmAdmin) — master's admin, or the
// realm-admin client role or realm role of the path's realm.
func (g *AdminGuard) RealmAdmin(next http.Handler) http.Handler {
	return g.Realm(iam.PermRealmAdmin)(next)
}

// MasterAdmin protects the routes only the administrators of every realm
// use (creating and deleting realms): the caller must hold admin in master
// (iam.Principal.IsMasterAdmin); master's realm-admin administers master
// only.
func (g *AdminGuard) MasterAdmin(next http.Handler) http.Handler {
	return g.guard(next, func() rule {
		return func(_ *http.Request, p *iam.Principal) error {
			if !p.IsMasterAdmin() {
				return iam.Errorf(iam.CodeForbidden, "the master realm's admin role is required")
			}
			return nil
		}
	})
}

// AnyAdmin protects the routes any administrator uses, each on what it
// administers (GET /admin/realms lists those realms): the caller must hold
// an administrative role of its own realm (iam.Principal.CanAdminister).
func (g *AdminGuard) AnyAdmin(next http.Handler) http.Handler {
	return g.guard(next, func() rule {
		return func(_ *http.Request, p *iam.Principal) error {
			if !p.CanAdminister(p.Realm) {
				return iam.Errorf(iam.CodeForbidden, "administrator role required")
			}
			return nil
		}
	})
}

// rule returns nil if the principal may use the request, else the error to
// answer.
type rule func(*http.Request, *iam.Principal) error

// can returns nil if p may do every one of perms in realm, else
// CodeForbidden naming the first it may not.
func can(p *iam.Principal, realm iam.Realm, perms []iam.Permission) error {
	for _, perm := range perms {
		if !p.Can(realm, perm) {
			return iam.Errorf(iam.CodeForbidden, "the role %s of client %s is required in realm %q", perm, iam.RealmManagement, realm)
		}
	}
	return nil
}

// guard runs a request's rule (newRule makes one per request) on the
// token's principal, then on its current standing, and calls next with the
// current principal.
func (g *AdminGuard) guard(next http.Handler, newRule func() rule) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := iam.PrincipalFrom(r.Context())
		if p == nil {
			Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "authentication required"))
			return
		}
		allowed := newRule()
		if err := allowed(r, p); err != nil {
			Error(w, r, err)
			return
		}
		if g != nil && g.standing != nil {
			roles, clientRoles, err := g.standing.CurrentRoles(r.Context(), p.Realm, p.Subject)
			if err != nil {
				Error(w, r, iam.Wrap("iamhttp.AdminGuard", err))
				return
			}
			current := *p
			current.Roles, current.ClientRoles = roles, clientRoles
			if err := allowed(r, &current); err != nil {
				Error(w, r, err)
				return
			}
			r = r.WithContext(iam.WithPrincipal(r.Context(), &current))
		}
		next.ServeHTTP(w, r)
	})
}
