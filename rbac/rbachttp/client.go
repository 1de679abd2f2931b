package rbachttp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Client calls a remote rbac service through its internal API. It offers
// the methods other services use (EffectiveRoles, HasRole,
// AssignRealmRoles) with the signatures and error codes of *rbac.Service, so
// either satisfies their interfaces. A Client is safe for concurrent use.
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

// NewClient returns a Client for the rbac-service at baseURL (e.g.
// "http://rbac-service:8084"), authenticating with serviceToken
// (OPENGATE_SERVICE_TOKEN).
func NewClient(baseURL, serviceToken string, opts ...ClientOption) *Client {
	c := &Client{base: strings.TrimSuffix(baseURL, "/"), token: serviceToken,
		hc: &http.Client{Timeout: 10 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// userURL returns the internal URL of path under a user.
func (c *Client) userURL(realm iam.Realm, userID, path string) string {
	return c.base + "/internal/realms/" + url.PathEscape(string(realm)) + "/users/" + url.PathEscape(userID) + path
}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (if not nil). Non-2xx answers become the *iam.Error the server
// sent.
func (c *Client) do(ctx context.Context, op, method, u string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return iam.Wrap(op, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return iam.Wrap(op, err)
	}
	req.Header.Set(iamhttp.ServiceTokenHeader, c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "rbac service unavailable", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return iamhttp.ResponseError(op, resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(out); err != nil {
		return iam.Wrap(op, err)
	}
	return nil
}

// EffectiveRoles is rbac.Service.EffectiveRoles over HTTP (GET
// /internal/realms/{realm}/users/{id}/effective-roles). Errors carry the
// server's code; CodeUnavailable when the service cannot be reached.
func (c *Client) EffectiveRoles(ctx context.Context, realm iam.Realm, userID string) (realmRoles []string, clientRoles map[string][]string, err error) {
	const op = "rbachttp.Client.EffectiveRoles"
	if err := realm.Validate(); err != nil {
		return nil, nil, iam.Wrap(op, err)
	}
	var out EffectiveRolesRepresentation
	if err := c.do(ctx, op, http.MethodGet, c.userURL(realm, userID, "/effective-roles"), nil, &out); err != nil {
		return nil, nil, err
	}
	if out.RealmRoles == nil {
		out.RealmRoles = []string{}
	}
	if out.ClientRoles == nil {
		out.ClientRoles = map[string][]string{}
	}
	return out.RealmRoles, out.ClientRoles, nil
}

// HasRole is rbac.Service.HasRole over HTTP.
func (c *Client) HasRole(ctx context.Context, realm iam.Realm, userID, role string) (bool, error) {
	realmRoles, _, err := c.EffectiveRoles(ctx, realm, userID)
	if err != nil {
		return false, iam.Wrap("rbachttp.Client.HasRole", err)
	}
	return slices.Contains(realmRoles, role), nil
}

// AssignRealmRoles is rbac.Service.AssignRealmRoles over HTTP (POST
// /internal/realms/{realm}/users/{id}/realm-roles).
func (c *Client) AssignRealmRoles(ctx context.Context, realm iam.Realm, userID string, roleNames ...string) error {
	const op = "rbachttp.Client.AssignRealmRoles"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if len(roleNames) == 0 {
		return nil
	}
	return c.do(ctx, op, http.MethodPost, c.userURL(realm, userID, "/realm-roles"), AssignRequest{Roles: roleNames}, nil)
}
