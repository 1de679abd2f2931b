package usershttp

import (
	"context"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

// The internal API of the browser sign-in (auth-service's login and account
// pages act for a signed-in user): the account, password and registration
// calls of users.Service, with the user's session and address in the body
// where in process they travel in the context.

// selfRequest names the acting user's session and address: the session a
// password change keeps, the address whose failures count.
type selfRequest struct {
	KeepSessionID string `json:"keepSessionId,omitempty"`
	IP            string `json:"ip,omitempty"`
}

// asSelf returns ctx with user id of realm as its principal, in session
// in.KeepSessionID, from in.IP: the context an in-process caller acting for
// the user gives users.Service.
func asSelf(ctx context.Context, realm iam.Realm, id string, in selfRequest) context.Context {
	ctx = iam.WithPrincipal(ctx, &iam.Principal{Subject: id, Realm: realm, SessionID: in.KeepSessionID})
	if in.IP != "" {
		ctx = iam.WithClientIP(ctx, in.IP)
	}
	return ctx
}

// selfOf reads the acting user's session and address from ctx (the
// principal, when it is user id of realm, and iam.ClientIP).
func selfOf(ctx context.Context, realm iam.Realm, id string) selfRequest {
	s := selfRequest{IP: iam.ClientIP(ctx)}
	if p := iam.PrincipalFrom(ctx); p != nil && p.Realm == realm && p.Subject == id {
		s.KeepSessionID = p.SessionID
	}
	return s
}

// accountUpdate is the body of the internal account update.
type accountUpdate struct {
	Email     *string `json:"email,omitempty"`
	FirstName *string `json:"firstName,omitempty"`
	LastName  *string `json:"lastName,omitempty"`
}

func (h *Handler) internalUpdateAccount(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in accountUpdate
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	u, err := h.svc.UpdateAccount(asSelf(r.Context(), realm, id, selfRequest{}), realm, id,
		users.AccountPatch{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, userJSON(u))
}

// passwordRequest is the body of the internal password calls. Passwords
// travel only in bodies.
type passwordRequest struct {
	selfRequest
	CurrentPassword string `json:"currentPassword,omitempty"`
	Password        string `json:"password"`
}

func (h *Handler) internalChangePassword(w http.ResponseWriter, r *http.Request) {
	h.internalPassword(w, r, func(ctx context.Context, realm iam.Realm, id string, in passwordRequest) error {
		return h.svc.ChangePassword(ctx, realm, id, in.CurrentPassword, in.Password)
	})
}

func (h *Handler) internalUpdatePassword(w http.ResponseWriter, r *http.Request) {
	h.internalPassword(w, r, func(ctx context.Context, realm iam.Realm, id string, in passwordRequest) error {
		return h.svc.UpdatePassword(ctx, realm, id, in.Password)
	})
}

func (h *Handler) internalPassword(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, realm iam.Realm, id string, in passwordRequest) error) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in passwordRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	if err := change(asSelf(r.Context(), realm, id, in.selfRequest), realm, id, in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// registration is the body of the internal registration.
type registration struct {
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Password  string `json:"password"`
}

func (h *Handler) internalRegister(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in registration
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	u, err := h.svc.Register(r.Context(), realm, users.Registration{Username: in.Username, Email: in.Email,
		FirstName: in.FirstName, LastName: in.LastName, Password: in.Password})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusCreated, userJSON(u))
}

// UpdateAccount applies the user's own profile change (see
// users.Service.UpdateAccount).
func (c *Client) UpdateAccount(ctx context.Context, realm iam.Realm, id string, p users.AccountPatch) (users.User, error) {
	if p.Username != nil {
		return users.User{}, iam.Invalidf("username", "username cannot be changed")
	}
	return c.do(ctx, "usershttp.Client.UpdateAccount", realm, http.MethodPost, "/"+url.PathEscape(id)+"/account",
		accountUpdate{Email: p.Email, FirstName: p.FirstName, LastName: p.LastName}, nil)
}

// ChangePassword is the user's own password change (see
// users.Service.ChangePassword): the session of the principal in ctx, when
// it is the user's, stays; failures count from iam.ClientIP(ctx).
func (c *Client) ChangePassword(ctx context.Context, realm iam.Realm, id, current, pw string) error {
	return c.password(ctx, "usershttp.Client.ChangePassword", realm, id, "/password/change",
		passwordRequest{selfRequest: selfOf(ctx, realm, id), CurrentPassword: current, Password: pw})
}

// UpdatePassword completes the user's UPDATE_PASSWORD required action (see
// users.Service.UpdatePassword); the session of the principal in ctx, when
// it is the user's, stays.
func (c *Client) UpdatePassword(ctx context.Context, realm iam.Realm, id, pw string) error {
	return c.password(ctx, "usershttp.Client.UpdatePassword", realm, id, "/password/update",
		passwordRequest{selfRequest: selfOf(ctx, realm, id), Password: pw})
}

func (c *Client) password(ctx context.Context, op string, realm iam.Realm, id, path string, in passwordRequest) error {
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	full := "/internal/realms/" + url.PathEscape(string(realm)) + "/users/" + url.PathEscape(id) + path
	return c.remote.Do(ctx, op, http.MethodPost, full, in, nil)
}

// Register creates a user from a self-registration (see
// users.Service.Register).
func (c *Client) Register(ctx context.Context, realm iam.Realm, in users.Registration) (users.User, error) {
	return c.do(ctx, "usershttp.Client.Register", realm, http.MethodPost, "/register",
		registration{Username: in.Username, Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Password: in.Password}, nil)
}
