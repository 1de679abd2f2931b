package notifyhttp

import (
	"context"
	"net/http"
	"net/url"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
)

// Client sends the mfa service's e-mail codes through a remote
// notification-service (its internal API): it implements mfa.Sender with
// *notify.Service's contract. A Client is safe for concurrent use.
type Client struct {
	hc     *http.Client
	remote *iamhttp.ServiceClient
}

var _ mfa.Sender = (*Client)(nil)

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 10-second
// timeout).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.hc = hc } }

// NewClient returns a Client of the notification-service at baseURL (e.g.
// "http://notification-service:8086"), authenticating with serviceToken
// (OPENGATE_SERVICE_TOKEN).
func NewClient(baseURL, serviceToken string, opts ...ClientOption) *Client {
	c := &Client{}
	for _, o := range opts {
		o(c)
	}
	c.remote = iamhttp.NewServiceClient("notification service", baseURL, serviceToken, c.hc)
	return c
}

// SendOTP mails m's code (see notify.Service.SendOTP). The code travels in
// the request body only. Errors: the server's code (CodeInvalid,
// CodeNotFound, CodeUnavailable when the mail was not sent, CodeForbidden
// for a wrong service token), CodeUnavailable when the service cannot be
// reached.
func (c *Client) SendOTP(ctx context.Context, m mfa.Message) error {
	const op = "notifyhttp.Client.SendOTP"
	if err := m.Realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	in := otpRequest{UserID: m.UserID, Channel: m.Channel, To: m.To, Code: m.Code}
	if !m.ExpiresAt.IsZero() {
		in.ExpiresAt = m.ExpiresAt.UnixMilli()
	}
	return c.remote.Do(ctx, op, http.MethodPost, "/internal/realms/"+url.PathEscape(string(m.Realm))+"/notifications/email-otp", in, nil)
}
