package rbachttp

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Client calls a remote rbac service through its internal API. It offers
// the methods other services use (EffectiveRoles, ScopeRoleNames, HasRole,
// AssignRealmRoles, UserGroupPaths) with the signatures and error codes of
// *rbac.Service, so either satisfies their interfaces. A Client is safe for concurrent use.
type Client struct {
	hc      *http.Client // set by options, nil for the default
	remote  *iamhttp.ServiceClient
	imports *iamhttp.ServiceClient // the import and export routes' longer calls
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 10-second
// timeout).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) { c.hc = hc }
}

// maxAnswerBytes bounds an effective-roles answer: a user may hold many
// roles in many clients.
const maxAnswerBytes = 8 << 20

// NewClient returns a Client for the rbac-service at baseURL (e.g.
// "http://rbac-service:8084"), authenticating with serviceToken
// (OPENGATE_SERVICE_TOKEN).
func NewClient(baseURL, serviceToken string, opts ...ClientOption) *Client {
	c := &Client{}
	for _, o := range opts {
		o(c)
	}
	c.remote = iamhttp.NewServiceClient("rbac service", baseURL, serviceToken, c.hc,
		iamhttp.WithAnswerLimit(maxAnswerBytes))
	c.imports = iamhttp.NewImportClient("rbac service", baseURL, serviceToken, c.hc)
	return c
}

// userPath returns the internal path of path under a user.
func userPath(realm iam.Realm, userID, path string) string {
	return "/internal/realms/" + url.PathEscape(string(realm)) + "/users/" + url.PathEscape(userID) + path
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
	if err := c.remote.Do(ctx, op, http.MethodGet, userPath(realm, userID, "/effective-roles"), nil, &out); err != nil {
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

// ScopeRoleNames is rbac.Service.ScopeRoleNames over HTTP (GET
// /internal/realms/{realm}/clients/{id}/scope-roles). Errors carry the
// server's code; CodeUnavailable when the service cannot be reached.
func (c *Client) ScopeRoleNames(ctx context.Context, realm iam.Realm, clientUUID string) (realmRoles []string, clientRoles map[string][]string, err error) {
	const op = "rbachttp.Client.ScopeRoleNames"
	if err := realm.Validate(); err != nil {
		return nil, nil, iam.Wrap(op, err)
	}
	var out EffectiveRolesRepresentation
	path := "/internal/realms/" + url.PathEscape(string(realm)) + "/clients/" + url.PathEscape(clientUUID) + "/scope-roles"
	if err := c.remote.Do(ctx, op, http.MethodGet, path, nil, &out); err != nil {
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
	return c.remote.Do(ctx, op, http.MethodPost, userPath(realm, userID, "/realm-roles"), AssignRequest{Roles: roleNames}, nil)
}

// UserGroupPaths is rbac.Service.UserGroupPaths over HTTP (GET
// /internal/realms/{realm}/users/{id}/group-paths).
func (c *Client) UserGroupPaths(ctx context.Context, realm iam.Realm, userID string) ([]string, error) {
	const op = "rbachttp.Client.UserGroupPaths"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	var out GroupPathsRepresentation
	if err := c.remote.Do(ctx, op, http.MethodGet, userPath(realm, userID, "/group-paths"), nil, &out); err != nil {
		return nil, err
	}
	if out.Paths == nil {
		out.Paths = []string{}
	}
	return out.Paths, nil
}
