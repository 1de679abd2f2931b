package auth

import (
	"context"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// The services auth calls, each through the small interface it needs. The
// in-process services of the all-in-one binary and the remote HTTP clients of
// the microservices both satisfy them.

// RealmGetter reads a realm's settings (lifespans, brute-force protection,
// signing algorithm). Get returns a CodeNotFound error for an unknown realm.
// It is called on every request, so implementations should cache.
type RealmGetter interface {
	Get(ctx context.Context, realm iam.Realm) (realms.Realm, error)
}

// ClientAuthenticator authenticates OAuth clients.
//
// Authenticate returns the client with public id clientID of realm when
// secret is its current secret; an unknown client, a wrong secret or a client
// without a secret is a CodeUnauthenticated (or CodeNotFound) error.
// GetByClientID returns the client by public id (CodeNotFound if absent); auth
// uses it for public clients, which send no secret. Any other error code
// (unavailable, internal) is passed on as a server failure, never as
// invalid_client.
type ClientAuthenticator interface {
	Authenticate(ctx context.Context, realm iam.Realm, clientID, secret string) (clients.Client, error)
	GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (clients.Client, error)
}

// UserAuthenticator checks user credentials and reads users.
//
// Authenticate returns the user whose username or email is usernameOrEmail
// when password is theirs and the user is enabled; unknown users, wrong
// passwords and disabled users all give the same CodeUnauthenticated error,
// whose cause may be a *users.LoginFailure naming the auth.login.failure
// reason (users.LoginFailureReason). Get returns a user by id (CodeNotFound
// if absent).
type UserAuthenticator interface {
	Authenticate(ctx context.Context, realm iam.Realm, usernameOrEmail, password string) (users.User, error)
	Get(ctx context.Context, realm iam.Realm, id string) (users.User, error)
}

// UserFinder finds a user by username or email without a password
// (CodeNotFound if absent). It is optional: see WithUserFinder.
type UserFinder interface {
	Find(ctx context.Context, realm iam.Realm, usernameOrEmail string) (users.User, error)
}

// RoleResolver returns roles as tokens carry them: realm role names, and
// client role names keyed by public clientId.
//
// EffectiveRoles returns the effective (composite-expanded) roles of a
// subject: a user id or, for a client's service account,
// iam.ServiceAccountSubject(client.ID). An unknown subject has no roles (not
// an error).
//
// ScopeRoleNames returns the roles within the scope of the client with UUID
// clientUUID: its own client roles and the roles mapped to its scope,
// composite-expanded (Keycloak's scope mappings). A client rbac does not
// know has an empty scope. The tokens of a client that does not allow full
// scope carry only the subject's roles within it (mint intersects).
//
// *rbac.Service, rbac.CachedResolver and rbachttp.Client implement it.
type RoleResolver interface {
	EffectiveRoles(ctx context.Context, realm iam.Realm, subject string) (realmRoles []string, clientRoles map[string][]string, err error)
	ScopeRoleNames(ctx context.Context, realm iam.Realm, clientUUID string) (realmRoles []string, clientRoles map[string][]string, err error)
}

// SessionChecker asks the session service whether a login session is alive.
// It is optional (WithSessionChecker): without it, a session lives as long as
// its refresh tokens and is ended by logout, session.terminated and
// user.deleted. *session.Service (in process) and sessionhttp.Client
// (remote, caching Alive for a few seconds) implement it.
//
// Alive reports whether session sessionID of realm may still be used: false
// once it has ended (terminated, or expired idle or at its max lifespan).
// Touch does the same and records a use of the session (a token refresh),
// which keeps it alive for the realm's idle timeout more. Auth asks Alive
// when it introspects a token and exchanges a code, Touch when it refreshes;
// an error fails the request (fail closed).
type SessionChecker interface {
	Alive(ctx context.Context, realm iam.Realm, sessionID string) (bool, error)
	Touch(ctx context.Context, realm iam.Realm, sessionID string) (bool, error)
}

// serviceAccountUsername is Keycloak's preferred_username of a service
// account: "service-account-" + the public clientId.
func serviceAccountUsername(clientID string) string {
	return iam.ServiceAccountPrefix + clientID
}
