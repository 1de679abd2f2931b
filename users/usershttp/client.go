package usershttp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

// Client calls a remote user-service through its internal API. It has the
// methods the auth service needs — Authenticate, Get, GetByUsername and
// Find, with the same contracts as *users.Service's — so the microservices
// wire it where the all-in-one binary wires the Service. A failed
// Authenticate carries the same cause (users.ErrUnknownUser,
// users.ErrBadCredentials, users.ErrDisabled) as in process. A Client is
// safe for concurrent use.
type Client struct {
	base  string
	token string
	hc    *http.Client
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
	c := &Client{base: strings.TrimSuffix(baseURL, "/"), token: serviceToken,
		hc: &http.Client{Timeout: 10 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Authenticate checks a password login (see users.Service.Authenticate).
func (c *Client) Authenticate(ctx context.Context, realm iam.Realm, usernameOrEmail, password string) (users.User, error) {
	return c.post(ctx, "usershttp.Client.Authenticate", realm, "/authenticate",
		credentialsRequest{Username: usernameOrEmail, Password: password})
}

// Find returns the user with that username or email (see
// users.Service.Find).
func (c *Client) Find(ctx context.Context, realm iam.Realm, usernameOrEmail string) (users.User, error) {
	return c.post(ctx, "usershttp.Client.Find", realm, "/find", credentialsRequest{Username: usernameOrEmail})
}

// GetByUsername returns the user named username (see
// users.Service.GetByUsername).
func (c *Client) GetByUsername(ctx context.Context, realm iam.Realm, username string) (users.User, error) {
	return c.post(ctx, "usershttp.Client.GetByUsername", realm, "/by-username", credentialsRequest{Username: username})
}

// Get returns the user with id (see users.Service.Get).
func (c *Client) Get(ctx context.Context, realm iam.Realm, id string) (users.User, error) {
	const op = "usershttp.Client.Get"
	if err := realm.Validate(); err != nil {
		return users.User{}, iam.Wrap(op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(realm, "/"+url.PathEscape(id)), nil)
	if err != nil {
		return users.User{}, iam.Wrap(op, err)
	}
	return c.do(op, realm, req)
}

func (c *Client) url(realm iam.Realm, path string) string {
	return c.base + "/internal/realms/" + url.PathEscape(string(realm)) + "/users" + path
}

func (c *Client) post(ctx context.Context, op string, realm iam.Realm, path string, body credentialsRequest) (users.User, error) {
	if err := realm.Validate(); err != nil {
		return users.User{}, iam.Wrap(op, err)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return users.User{}, iam.Wrap(op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(realm, path), bytes.NewReader(raw))
	if err != nil {
		return users.User{}, iam.Wrap(op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(op, realm, req)
}

func (c *Client) do(op string, realm iam.Realm, req *http.Request) (users.User, error) {
	req.Header.Set(iamhttp.ServiceTokenHeader, c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return users.User{}, &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "user service unavailable", Err: err}
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 1<<20)
	if resp.StatusCode == http.StatusUnauthorized && strings.HasSuffix(req.URL.Path, "/authenticate") {
		return users.User{}, authError(op, resp, body)
	}
	if resp.StatusCode != http.StatusOK {
		return users.User{}, iamhttp.ResponseError(op, resp)
	}
	var rep UserRepresentation
	if err := json.NewDecoder(body).Decode(&rep); err != nil || rep.ID == nil {
		return users.User{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed user from user service", Err: err}
	}
	return fromRepresentation(realm, rep), nil
}

// authError rebuilds the in-process error of a failed login from the
// internal endpoint's reason (a 401 without one, e.g. a wrong service token,
// is an internal failure, not a failed login).
func authError(op string, resp *http.Response, body io.Reader) error {
	var f authFailure
	_ = json.NewDecoder(body).Decode(&f)
	var cause error
	switch f.Reason {
	case reasonUnknownUser:
		cause = users.ErrUnknownUser
	case reasonBadCredentials:
		cause = users.ErrBadCredentials
	case reasonDisabled:
		cause = users.ErrDisabled
	default:
		return &iam.Error{Code: iam.CodeInternal, Op: op, Message: "user service refused the call", Err: iam.Errorf(iam.CodeUnauthenticated, "%s", resp.Status)}
	}
	return &iam.Error{Code: iam.CodeUnauthenticated, Op: op, Message: users.AuthFailedMessage, Err: cause}
}
