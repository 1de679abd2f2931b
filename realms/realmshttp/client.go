package realmshttp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/realms"
)

// Client reads realms from a remote realm-service through its internal API.
// It implements realms.Getter; wrap it in realms.NewCachedGetter (and run
// realmskafka.RunCacheInvalidation) so that hot paths do not call the
// network per request. A Client is safe for concurrent use.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

var _ realms.Getter = (*Client)(nil)

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 10-second
// timeout).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) { c.hc = hc }
}

// NewClient returns a Client for the realm-service at baseURL (e.g.
// "http://realm-service:8083"), authenticating with serviceToken
// (OPENGATE_SERVICE_TOKEN).
func NewClient(baseURL, serviceToken string, opts ...ClientOption) *Client {
	c := &Client{base: strings.TrimSuffix(baseURL, "/"), token: serviceToken,
		hc: &http.Client{Timeout: 10 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Get returns realm name, with its SMTP password. Errors: the server's code
// (CodeNotFound, CodeInvalid, CodeForbidden for a wrong service
// token), CodeUnavailable when the service cannot be reached.
func (c *Client) Get(ctx context.Context, name iam.Realm) (realms.Realm, error) {
	const op = "realmshttp.Client.Get"
	if err := name.Validate(); err != nil {
		return realms.Realm{}, iam.Wrap(op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/internal/realms/"+url.PathEscape(string(name)), nil)
	if err != nil {
		return realms.Realm{}, iam.Wrap(op, err)
	}
	req.Header.Set(iamhttp.ServiceTokenHeader, c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return realms.Realm{}, &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "realm service unavailable", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return realms.Realm{}, iamhttp.ResponseError(op, resp)
	}
	var rep RealmRepresentation
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&rep); err != nil {
		return realms.Realm{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed realm from realm service", Err: err}
	}
	r, err := rep.toRealm()
	if err != nil {
		return realms.Realm{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed realm from realm service", Err: err}
	}
	return r, nil
}
