package sessionhttp

import (
	"maps"
	"strconv"

	"github.com/opengate-iam/opengate/session"
)

// UserSessionRepresentation is Keycloak's representation of a session in
// the admin API. Start and LastAccess are Unix milliseconds; Clients maps
// each client's UUID to its clientId.
type UserSessionRepresentation struct {
	ID            string            `json:"id"`
	Username      string            `json:"username"`
	UserID        string            `json:"userId"`
	IPAddress     string            `json:"ipAddress"`
	Start         int64             `json:"start"`
	LastAccess    int64             `json:"lastAccess"`
	RememberMe    bool              `json:"rememberMe"`
	Clients       map[string]string `json:"clients"`
	TransientUser bool              `json:"transientUser"`
}

func fromSession(s session.Session) UserSessionRepresentation {
	clients := maps.Clone(s.Clients)
	if clients == nil {
		clients = map[string]string{}
	}
	return UserSessionRepresentation{ID: s.ID, Username: s.Username, UserID: s.UserID, IPAddress: s.IPAddress,
		Start: s.Started.UnixMilli(), LastAccess: s.LastAccess.UnixMilli(), Clients: clients}
}

func fromSessions(list []session.Session) []UserSessionRepresentation {
	out := make([]UserSessionRepresentation, len(list))
	for i, s := range list {
		out[i] = fromSession(s)
	}
	return out
}

// ClientSessionStat is Keycloak's count of a client's sessions
// (client-session-stats). Keycloak sends the counts as strings; OpenGate has
// no offline sessions, so Offline is always "0".
type ClientSessionStat struct {
	ID       string `json:"id"`
	ClientID string `json:"clientId"`
	Active   string `json:"active"`
	Offline  string `json:"offline"`
}

func fromStats(stats []session.ClientStats) []ClientSessionStat {
	out := make([]ClientSessionStat, len(stats))
	for i, s := range stats {
		out[i] = ClientSessionStat{ID: s.ClientUUID, ClientID: s.ClientID, Active: strconv.Itoa(s.Active), Offline: "0"}
	}
	return out
}

// SessionRepresentation is a session in the account API (Keycloak's account
// REST shape): times in Unix seconds, Browser the user agent of the login,
// Current true for the session of the calling token.
type SessionRepresentation struct {
	ID         string                 `json:"id"`
	IPAddress  string                 `json:"ipAddress"`
	Started    int64                  `json:"started"`
	LastAccess int64                  `json:"lastAccess"`
	Expires    int64                  `json:"expires"`
	Browser    string                 `json:"browser"`
	Current    bool                   `json:"current"`
	Clients    []ClientRepresentation `json:"clients"`
}

// ClientRepresentation is a client of a session in the account API.
type ClientRepresentation struct {
	ClientID   string `json:"clientId"`
	ClientName string `json:"clientName"`
}

func toAccount(s session.Session, current string) SessionRepresentation {
	out := SessionRepresentation{ID: s.ID, IPAddress: s.IPAddress, Started: s.Started.Unix(),
		LastAccess: s.LastAccess.Unix(), Expires: s.IdleExpiresAt.Unix(), Browser: s.UserAgent,
		Current: s.ID == current, Clients: []ClientRepresentation{}}
	for _, id := range s.ClientIDs() {
		out.Clients = append(out.Clients, ClientRepresentation{ClientID: id, ClientName: id})
	}
	return out
}

// AliveRepresentation is the internal API's answer about one session.
type AliveRepresentation struct {
	Alive bool `json:"alive"`
}
