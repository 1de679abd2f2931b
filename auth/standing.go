package auth

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// UserGetter reads a user by id; CodeNotFound if there is none.
// *users.Service and the remote usershttp.Client implement it.
type UserGetter interface {
	Get(ctx context.Context, realm iam.Realm, id string) (users.User, error)
}

// ClientGetter reads a client by id (its UUID); CodeNotFound if there is
// none. *clients.Service, *clients.CachedReader and the remote
// clientshttp.Client implement it.
type ClientGetter interface {
	Get(ctx context.Context, realm iam.Realm, id string) (clients.Client, error)
}

// Standing answers what the subject of a token holds now: the admin API's
// guard (iamhttp.AdminGuard, whose iamhttp.Standing it implements) asks it
// on every admin call, so that disabling a user, a client or a realm, or
// taking an administrator's role away, takes effect at once rather than
// when the token expires.
//
// Each answer reads the realm, the user (or the service account's client)
// and the effective roles from the services given to NewStanding, as fresh
// as they are: in one process the services themselves (their caches are
// invalidated by every change), across processes the remote clients behind
// realms.CachedGetter, clients.CachedReader and rbac.CachedResolver kept
// current by the cache-invalidation consumers. Safe for concurrent use.
type Standing struct {
	realms  RealmGetter
	clients ClientGetter
	users   UserGetter
	roles   iam.RoleReader
}

// NewStanding returns a Standing over the realms, clients, users and roles
// services.
func NewStanding(realms RealmGetter, clients ClientGetter, users UserGetter, roles iam.RoleReader) *Standing {
	return &Standing{realms: realms, clients: clients, users: users, roles: roles}
}

// CurrentRoles returns the effective realm roles and client roles (by
// clientId) subject — a user id, or iam.ServiceAccountSubject(clientUUID) —
// holds now in realm. It fails with
// CodeUnauthenticated when realm does not exist or is disabled, when the
// user does not exist or is disabled, or when a service account's client
// does not exist, is disabled or no longer has service accounts enabled.
// Other errors of the services (unavailable, internal) are passed on: the
// caller must refuse the request.
func (s *Standing) CurrentRoles(ctx context.Context, realm iam.Realm, subject string) (realmRoles []string, clientRoles map[string][]string, err error) {
	const op = "auth.Standing.CurrentRoles"
	if err := realm.Validate(); err != nil {
		return nil, nil, iam.Wrap(op, gone("the token's realm is not valid"))
	}
	r, err := s.realms.Get(ctx, realm)
	switch {
	case errors.Is(err, iam.ErrNotFound):
		return nil, nil, iam.Wrap(op, gone("the token's realm no longer exists"))
	case err != nil:
		return nil, nil, iam.Wrap(op, err)
	case !r.Enabled:
		return nil, nil, iam.Wrap(op, gone("the token's realm is disabled"))
	}
	if err := s.subjectEnabled(ctx, realm, subject); err != nil {
		return nil, nil, iam.Wrap(op, err)
	}
	realmRoles, clientRoles, err = s.roles.EffectiveRoles(ctx, realm, subject)
	if err != nil {
		return nil, nil, iam.Wrap(op, err)
	}
	return realmRoles, clientRoles, nil
}

// subjectEnabled returns nil if the user, or the service account's client,
// exists and may act.
func (s *Standing) subjectEnabled(ctx context.Context, realm iam.Realm, subject string) error {
	if clientUUID, ok := iam.ServiceAccountClient(subject); ok {
		c, err := s.clients.Get(ctx, realm, clientUUID)
		switch {
		case errors.Is(err, iam.ErrNotFound) || errors.Is(err, iam.ErrInvalid):
			return gone("the token's client no longer exists")
		case err != nil:
			return err
		case !c.Enabled || !c.ServiceAccountsEnabled:
			return gone("the token's client is disabled or has no service account")
		}
		return nil
	}
	u, err := s.users.Get(ctx, realm, subject)
	switch {
	case errors.Is(err, iam.ErrNotFound) || errors.Is(err, iam.ErrInvalid):
		return gone("the token's user no longer exists")
	case err != nil:
		return err
	case !u.Enabled:
		return gone("the token's user is disabled")
	}
	return nil
}

// gone is the CodeUnauthenticated error of a token whose subject or realm
// no longer acts.
func gone(msg string) error { return iam.Errorf(iam.CodeUnauthenticated, "%s", msg) }
