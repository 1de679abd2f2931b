package session

import (
	"maps"
	"slices"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Session is a login session: one user's authentication, shared by the
// clients that obtained tokens from it. It ends at IdleExpiresAt unless a
// use (Touch) moves that later, and at ExpiresAt at the latest.
type Session struct {
	ID       string // the sid of its tokens (auth's session_state)
	Realm    iam.Realm
	UserID   string
	Username string // the username at login
	// Clients are the clients that used the session: client UUID →
	// public clientId (Keycloak's UserSessionRepresentation.clients).
	Clients   map[string]string
	IPAddress string
	UserAgent string
	Started   time.Time
	// LastAccess is the latest login or token refresh in the session.
	LastAccess time.Time
	// IdleExpiresAt is when the session ends unless used again:
	// LastAccess plus the realm's ssoSessionIdleTimeout, never after
	// ExpiresAt.
	IdleExpiresAt time.Time
	// ExpiresAt is when the session ends whatever its use: Started plus
	// the realm's ssoSessionMaxLifespan.
	ExpiresAt time.Time
}

// Active reports whether s has neither ended idle nor reached its max
// lifespan at now.
func (s Session) Active(now time.Time) bool {
	return now.Before(s.IdleExpiresAt) && now.Before(s.ExpiresAt)
}

// ClientIDs returns the public clientIds of the session's clients, sorted.
func (s Session) ClientIDs() []string {
	ids := slices.Collect(maps.Values(s.Clients))
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Clone returns a copy of s that shares nothing with it.
func (s Session) Clone() Session {
	s.Clients = maps.Clone(s.Clients)
	return s
}

// State is what a store knows of a session id.
type State int

const (
	// Unknown: the id was never recorded here, or is forgotten because its
	// max lifespan has passed. Sessions are created from auth.login.success
	// asynchronously, so an unknown id may be one whose creation is still
	// on its way.
	Unknown State = iota
	// Active: the session exists and has not expired.
	Active
	// Ended: the session was terminated, or expired idle; it never comes
	// back. A store remembers it until the session's max lifespan.
	Ended
)

// String names the state ("unknown", "active", "ended").
func (s State) String() string {
	switch s {
	case Active:
		return "active"
	case Ended:
		return "ended"
	default:
		return "unknown"
	}
}

// Filter selects the active sessions of a realm for List: those of UserID
// (if set) that ClientUUID used (if set); neither selects the realm's.
type Filter struct {
	UserID     string
	ClientUUID string
	// First skips that many sessions; Max returns at most that many (0:
	// no limit). The order is by ExpiresAt, then id: for a realm whose max
	// lifespan has not changed, oldest first.
	First, Max int
}

// ClientStats counts the active sessions one client used
// (Keycloak's client-session-stats).
type ClientStats struct {
	ClientUUID string
	ClientID   string // public clientId
	Active     int
}

// Reasons of session.terminated.
const (
	// ReasonLogout: the client logged out (auth.logout).
	ReasonLogout = "logout"
	// ReasonAdmin: an administrator ended the session, the user's sessions
	// or the realm's (DELETE .../sessions/{sid}, POST .../users/{id}/logout,
	// POST .../logout-all).
	ReasonAdmin = "admin"
	// ReasonAccount: the user ended it in the account API.
	ReasonAccount = "account"
	// ReasonUserDeleted: the user was deleted (user.deleted).
	ReasonUserDeleted = "user_deleted"
	// ReasonCredentialsChanged: the user's credentials changed
	// (user.credentials_changed); the session the change was made from
	// stays.
	ReasonCredentialsChanged = "credentials_changed"
)
