package clientshttp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Client reads and authenticates clients of a remote client-service
// through its internal API. It implements clients.Reader; wrap it in
// clients.NewCachedReader (and run clientskafka.RunCacheInvalidation) so the
// token endpoint does not call the network per request. A Client is safe for
// concurrent use.
type Client struct {
	hc      *http.Client // set by options, nil for the default
	remote  *iamhttp.ServiceClient
	imports *iamhttp.ServiceClient // the import and export routes' longer calls
}

var _ clients.Reader = (*Client)(nil)

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 10-second
// timeout).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) { c.hc = hc }
}

// NewClient returns a Client for the client-service at baseURL (e.g.
// "http://client-service:8085"), authenticating with serviceToken
// (OPENGATE_SERVICE_TOKEN).
func NewClient(baseURL, serviceToken string, opts ...ClientOption) *Client {
	c := &Client{}
	for _, o := range opts {
		o(c)
	}
	c.remote = iamhttp.NewServiceClient("client service", baseURL, serviceToken, c.hc)
	c.imports = iamhttp.NewImportClient("client service", baseURL, serviceToken, c.hc)
	return c
}

// Get implements clients.Reader. Errors carry the server's code;
// CodeUnavailable when the service cannot be reached.
func (c *Client) Get(ctx context.Context, realm iam.Realm, id string) (clients.Client, error) {
	if err := realm.Validate(); err != nil {
		return clients.Client{}, iam.Wrap("clientshttp.Client.Get", err)
	}
	return c.do(ctx, "clientshttp.Client.Get", realm, http.MethodGet,
		"/internal/realms/"+url.PathEscape(string(realm))+"/clients/"+url.PathEscape(id), nil)
}

// GetByClientID implements clients.Reader.
func (c *Client) GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (clients.Client, error) {
	if err := realm.Validate(); err != nil {
		return clients.Client{}, iam.Wrap("clientshttp.Client.GetByClientID", err)
	}
	return c.do(ctx, "clientshttp.Client.GetByClientID", realm, http.MethodGet,
		"/internal/realms/"+url.PathEscape(string(realm))+"/clients?clientId="+url.QueryEscape(clientID), nil)
}

// Authenticate implements clients.Reader: the secret travels in the body of
// a POST to the internal API, never in a URL. Failed authentications are
// CodeUnauthenticated.
func (c *Client) Authenticate(ctx context.Context, realm iam.Realm, clientID, secret string) (clients.Client, error) {
	const op = "clientshttp.Client.Authenticate"
	if realm.Validate() != nil {
		return clients.Client{}, &iam.Error{Code: iam.CodeUnauthenticated, Op: op, Message: "invalid client credentials"}
	}
	return c.do(ctx, op, realm, http.MethodPost,
		"/internal/realms/"+url.PathEscape(string(realm))+"/clients/authenticate",
		AuthenticateRequest{ClientID: clientID, Secret: secret})
}

// WebOrigins returns the web origins of the realm's enabled clients
// (clients.Service.WebOrigins), for a gateway's CORS. Errors carry the
// server's code; CodeUnavailable when the service cannot be reached.
func (c *Client) WebOrigins(ctx context.Context, realm iam.Realm) ([]string, error) {
	const op = "clientshttp.Client.WebOrigins"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	var rep WebOriginsRepresentation
	if err := c.remote.Do(ctx, op, http.MethodGet, "/internal/realms/"+url.PathEscape(string(realm))+"/web-origins", nil, &rep); err != nil {
		return nil, err
	}
	return rep.Origins, nil
}

// do calls the internal API and converts its answer, a client of realm.
func (c *Client) do(ctx context.Context, op string, realm iam.Realm, method, path string, in any) (clients.Client, error) {
	var raw json.RawMessage
	if err := c.remote.Do(ctx, op, method, path, in, &raw); err != nil {
		return clients.Client{}, err
	}
	// The client's stored Keycloak fields (protocolMappers, which auth
	// applies, among them) come with it; fields this client does not know
	// (a newer client service's) are kept the same way.
	var rep ClientRepresentation
	extra, err := iamhttp.ParseRepresentation(raw, &rep, func(string) bool { return true })
	if err != nil {
		return clients.Client{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed client from client service", Err: err}
	}
	cl, _, err := rep.toClient()
	if err != nil {
		return clients.Client{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed client from client service", Err: err}
	}
	cl.Realm, cl.Extra = realm, extra
	return cl, nil
}
