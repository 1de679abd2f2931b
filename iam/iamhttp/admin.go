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
	// CurrentRoles returns the realm roles subject (a user id, or
	// "service-account-{clientUUID}") holds now in realm. It fails with
	// CodeUnauthenticated when realm or the subject — a user, or a
	// service account's client — no longer exists or is disabled; any
	// other error means the answer is unknown, and the request is refused
	// with it (fail closed).
	CurrentRoles(ctx context.Context, realm iam.Realm, subject string) ([]string, error)
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
//     repeated with its current roles — 401 if the subject or its realm is
//     gone or disabled, 403 if the power was taken away — and the principal
//     in the context is replaced by one carrying the current roles, for the
//     handler and the services below it.
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

// RealmAdmin protects the routes of one realm, /admin/realms/{realm}/...:
// the caller must administer the realm of the path (iam.Principal.
// CanAdminister: master's admin, or admin/realm-admin of that realm). A
// malformed {realm} is 400 (CodeInvalid) once the caller is authenticated.
func (g *AdminGuard) RealmAdmin(next http.Handler) http.Handler {
	return g.guard(next, func(r *http.Request, p *iam.Principal) error {
		realm, err := Realm(r)
		if err != nil {
			return err
		}
		if !p.CanAdminister(realm) {
			return iam.Errorf(iam.CodeForbidden, "administrator role required for realm %q", realm)
		}
		return nil
	})
}

// MasterAdmin protects the routes only the administrators of every realm
// use (creating and deleting realms): the caller must hold admin in master
// (iam.Principal.IsMasterAdmin); master's realm-admin administers master
// only.
func (g *AdminGuard) MasterAdmin(next http.Handler) http.Handler {
	return g.guard(next, func(_ *http.Request, p *iam.Principal) error {
		if !p.IsMasterAdmin() {
			return iam.Errorf(iam.CodeForbidden, "the master realm's admin role is required")
		}
		return nil
	})
}

// AnyAdmin protects the routes any administrator uses, each on what it
// administers (GET /admin/realms lists those realms): the caller must
// administer its own realm.
func (g *AdminGuard) AnyAdmin(next http.Handler) http.Handler {
	return g.guard(next, func(_ *http.Request, p *iam.Principal) error {
		if !p.CanAdminister(p.Realm) {
			return iam.Errorf(iam.CodeForbidden, "administrator role required")
		}
		return nil
	})
}

// guard runs allowed on the token's principal, then on its current
// standing, and calls next with the current principal.
func (g *AdminGuard) guard(next http.Handler, allowed func(*http.Request, *iam.Principal) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := iam.PrincipalFrom(r.Context())
		if p == nil {
			Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "authentication required"))
			return
		}
		if err := allowed(r, p); err != nil {
			Error(w, r, err)
			return
		}
		if g != nil && g.standing != nil {
			roles, err := g.standing.CurrentRoles(r.Context(), p.Realm, p.Subject)
			if err != nil {
				Error(w, r, iam.Wrap("iamhttp.AdminGuard", err))
				return
			}
			current := *p
			current.Roles = roles
			if err := allowed(r, &current); err != nil {
				Error(w, r, err)
				return
			}
			r = r.WithContext(iam.WithPrincipal(r.Context(), &current))
		}
		next.ServeHTTP(w, r)
	})
}
