package usershttp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

// Client calls a remote user-service through its internal API. It has the
// methods the auth service needs — Authenticate, Get, GetByUsername and
// Find, and for its login and account pages UpdateAccount, ChangePassword,
// UpdatePassword, SendVerifyEmail, CompleteRequiredAction and Register —
// and CompleteRequiredAction for the MFA service, with the same
// contracts as *users.Service's — so the microservices
// wire it where the all-in-one binary wires the Service. A failed
// Authenticate carries the same cause (a *users.LoginFailure with its
// Reason) as in process. A Client is
// safe for concurrent use.
type Client struct {
	hc      *http.Client // set by options, nil for the default
	remote  *iamhttp.ServiceClient
	imports *iamhttp.ServiceClient // the import route's longer calls
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 10-second
// timeout).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) { c.hc = hc }
}

// NewClient returns a Client for the user-service at baseURL (e.g.
// "http://user-service:8082"), authenticating with serviceToken
// (OPENGATE_SERVICE_TOKEN).
func NewClient(baseURL, serviceToken string, opts ...ClientOption) *Client {
	c := &Client{}
	for _, o := range opts {
		o(c)
	}
	c.remote = iamhttp.NewServiceClient("user service", baseURL, serviceToken, c.hc)
	c.imports = iamhttp.NewImportClient("user service", baseURL, serviceToken, c.hc)
	return c
}

// Authenticate checks a password login (see users.Service.Authenticate).
func (c *Client) Authenticate(ctx context.Context, realm iam.Realm, usernameOrEmail, password string) (users.User, error) {
	return c.do(ctx, "usershttp.Client.Authenticate", realm, http.MethodPost, "/authenticate",
		credentialsRequest{Username: usernameOrEmail, Password: password}, authError)
}

// Find returns the user with that username or email (see
// users.Service.Find).
func (c *Client) Find(ctx context.Context, realm iam.Realm, usernameOrEmail string) (users.User, error) {
	return c.do(ctx, "usershttp.Client.Find", realm, http.MethodPost, "/find",
		credentialsRequest{Username: usernameOrEmail}, nil)
}

// GetByUsername returns the user named username (see
// users.Service.GetByUsername).
func (c *Client) GetByUsername(ctx context.Context, realm iam.Realm, username string) (users.User, error) {
	return c.do(ctx, "usershttp.Client.GetByUsername", realm, http.MethodPost, "/by-username",
		credentialsRequest{Username: username}, nil)
}

// Get returns the user with id (see users.Service.Get).
func (c *Client) Get(ctx context.Context, realm iam.Realm, id string) (users.User, error) {
	return c.do(ctx, "usershttp.Client.Get", realm, http.MethodGet, "/"+url.PathEscape(id), nil, nil)
}

// CompleteRequiredAction removes a completed required action from the user
// (see users.Service.CompleteRequiredAction); the MFA service calls it.
func (c *Client) CompleteRequiredAction(ctx context.Context, realm iam.Realm, id, action string) error {
	const op = "usershttp.Client.CompleteRequiredAction"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	path := "/internal/realms/" + url.PathEscape(string(realm)) + "/users/" + url.PathEscape(id) + "/complete-action"
	return c.remote.Do(ctx, op, http.MethodPost, path, actionRequest{Action: action}, nil)
}

// SendVerifyEmail has the user service issue user id a new verification
// link (see users.Service.SendVerifyEmail), valid for lifespan (0: the
// service's default).
func (c *Client) SendVerifyEmail(ctx context.Context, realm iam.Realm, id string, lifespan time.Duration) error {
	const op = "usershttp.Client.SendVerifyEmail"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	path := "/internal/realms/" + url.PathEscape(string(realm)) + "/users/" + url.PathEscape(id) + "/send-verify-email"
	if lifespan > 0 {
		path += "?lifespan=" + strconv.FormatInt(int64(lifespan/time.Second), 10)
	}
	return c.remote.Do(ctx, op, http.MethodPost, path, nil, nil)
}

// do calls path under the realm's internal users API (in nil: no body) and
// converts its answer, a user of realm.
func (c *Client) do(ctx context.Context, op string, realm iam.Realm, method, path string, in any, onError iamhttp.ErrorFunc) (users.User, error) {
	if err := realm.Validate(); err != nil {
		return users.User{}, iam.Wrap(op, err)
	}
	var raw json.RawMessage
	path = "/internal/realms/" + url.PathEscape(string(realm)) + "/users" + path
	if err := c.remote.DoWithErrorFunc(ctx, op, method, path, in, &raw, onError); err != nil {
		return users.User{}, err
	}
	// The user's stored Keycloak fields come with it; fields this client
	// does not know (a newer user service's) are kept the same way.
	var rep UserRepresentation
	extra, err := iamhttp.ParseRepresentation(raw, &rep, func(string) bool { return true })
	if err != nil || rep.ID == nil {
		return users.User{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed user from user service", Err: err}
	}
	u := fromRepresentation(realm, rep)
	u.Extra = extra
	return u, nil
}

// authError rebuilds the in-process error of a failed login from the
// internal endpoint's reason (a 401 without one, e.g. a wrong service token,
// is an internal failure, not a failed login). Other answers are left to
// iamhttp.ResponseError.
func authError(op string, resp *http.Response) error {
	if resp.StatusCode != http.StatusUnauthorized {
		return nil
	}
	var f authFailure
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&f)
	var cause error
	switch f.Reason {
	case reasonUnknownUser, reasonBadCredentials, reasonDisabled:
		cause = &users.LoginFailure{Reason: users.FailureReason(f.Reason)}
	default:
		return &iam.Error{Code: iam.CodeInternal, Op: op, Message: "user service refused the call", Err: iam.Errorf(iam.CodeUnauthenticated, "%s", resp.Status)}
	}
	return &iam.Error{Code: iam.CodeUnauthenticated, Op: op, Message: users.AuthFailedMessage, Err: cause}
}
