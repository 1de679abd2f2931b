package realmshttp

import (
	"context"
	"net/http"
	"net/url"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/realms"
)

// Client reads realms from a remote realm-service through its internal API.
// It implements realms.Getter; wrap it in realms.NewCachedGetter (and run
// realmskafka.RunCacheInvalidation) so that hot paths do not call the
// network per request. A Client is safe for concurrent use.
type Client struct {
	hc     *http.Client // set by options, nil for the default
	remote *iamhttp.ServiceClient
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
	c := &Client{}
	for _, o := range opts {
		o(c)
	}
	c.remote = iamhttp.NewServiceClient("realm service", baseURL, serviceToken, c.hc)
	return c
}

// Get returns realm name, with its SMTP password and ID. Errors: the server's code
// (CodeNotFound, CodeInvalid, CodeForbidden for a wrong service
// token), CodeUnavailable when the service cannot be reached.
func (c *Client) Get(ctx context.Context, name iam.Realm) (realms.Realm, error) {
	const op = "realmshttp.Client.Get"
	if err := name.Validate(); err != nil {
		return realms.Realm{}, iam.Wrap(op, err)
	}
	var rep RealmRepresentation
	if err := c.remote.Do(ctx, op, http.MethodGet, "/internal/realms/"+url.PathEscape(string(name)), nil, &rep); err != nil {
		return realms.Realm{}, err
	}
	r, err := rep.toRealm()
	if err != nil {
		return realms.Realm{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed realm from realm service", Err: err}
	}
	if rep.RealmID != nil {
		r.ID = *rep.RealmID
	}
	return r, nil
}

// Names returns the name of every realm (ordered as realms.Service.List),
// for start-up work over all realms. Errors as Get.
func (c *Client) Names(ctx context.Context) ([]iam.Realm, error) {
	const op = "realmshttp.Client.Names"
	var rep NamesRepresentation
	if err := c.remote.Do(ctx, op, http.MethodGet, "/internal/realms", nil, &rep); err != nil {
		return nil, err
	}
	out := make([]iam.Realm, 0, len(rep.Realms))
	for _, name := range rep.Realms {
		if err := name.Validate(); err != nil {
			return nil, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed realm name from realm service", Err: err}
		}
		out = append(out, name)
	}
	return out, nil
}
