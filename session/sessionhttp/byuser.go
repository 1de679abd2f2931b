package sessionhttp

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/session"
)

// The internal API of auth-service's account pages: a user's sessions, and
// ending one of them, as session.Service offers them in process.

// InternalSession is a session on the internal API: every field of
// session.Session, times in RFC 3339 with nanoseconds.
type InternalSession struct {
	ID            string            `json:"id"`
	UserID        string            `json:"userId"`
	Username      string            `json:"username,omitempty"`
	Clients       map[string]string `json:"clients,omitempty"`
	IPAddress     string            `json:"ipAddress,omitempty"`
	UserAgent     string            `json:"userAgent,omitempty"`
	Started       time.Time         `json:"started"`
	LastAccess    time.Time         `json:"lastAccess"`
	IdleExpiresAt time.Time         `json:"idleExpiresAt"`
	ExpiresAt     time.Time         `json:"expiresAt"`
}

func toInternal(s session.Session) InternalSession {
	return InternalSession{ID: s.ID, UserID: s.UserID, Username: s.Username, Clients: s.Clients, IPAddress: s.IPAddress,
		UserAgent: s.UserAgent, Started: s.Started, LastAccess: s.LastAccess, IdleExpiresAt: s.IdleExpiresAt, ExpiresAt: s.ExpiresAt}
}

func (s InternalSession) session(realm iam.Realm) session.Session {
	return session.Session{ID: s.ID, Realm: realm, UserID: s.UserID, Username: s.Username, Clients: s.Clients,
		IPAddress: s.IPAddress, UserAgent: s.UserAgent, Started: s.Started, LastAccess: s.LastAccess,
		IdleExpiresAt: s.IdleExpiresAt, ExpiresAt: s.ExpiresAt}
}

func (h *Handler) internalUserSessions(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	list, err := h.svc.ListByUser(r.Context(), realm, r.PathValue("id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]InternalSession, 0, len(list))
	for _, s := range list {
		out = append(out, toInternal(s))
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) internalTerminateOwn(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.TerminateOwn(r.Context(), realm, r.PathValue("id"), r.PathValue("sid")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// userPath is the internal path of user userID's sessions.
func userPath(realm iam.Realm, userID string) string {
	return "/internal/realms/" + url.PathEscape(string(realm)) + "/sessions/by-user/" + url.PathEscape(userID)
}

// ListByUser returns the active sessions of user userID (see
// session.Service.ListByUser).
func (c *Client) ListByUser(ctx context.Context, realm iam.Realm, userID string) ([]session.Session, error) {
	const op = "sessionhttp.Client.ListByUser"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if userID == "" {
		return nil, iam.Wrap(op, iam.Invalidf("userId", "a user id is required"))
	}
	var list []InternalSession
	if err := c.remote.Do(ctx, op, http.MethodGet, userPath(realm, userID), nil, &list); err != nil {
		return nil, err
	}
	out := make([]session.Session, 0, len(list))
	for _, s := range list {
		out = append(out, s.session(realm))
	}
	return out, nil
}

// TerminateOwn ends session id of user userID (see
// session.Service.TerminateOwn): CodeNotFound when the user has no such
// active session.
func (c *Client) TerminateOwn(ctx context.Context, realm iam.Realm, userID, id string) error {
	const op = "sessionhttp.Client.TerminateOwn"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if userID == "" || id == "" {
		return iam.Wrap(op, iam.Invalidf("sessionId", "a user id and a session id are required"))
	}
	return c.remote.Do(ctx, op, http.MethodDelete, userPath(realm, userID)+"/"+url.PathEscape(id), nil, nil)
}
