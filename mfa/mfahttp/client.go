package mfahttp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/users"
)

// Client calls a remote mfa-service through its internal API. It has the
// methods other services need — Factors, Verify and SendEmailOTP for auth,
// StartTOTP, ConfirmTOTP, DeleteCredential and RegenerateRecoveryCodes for
// auth's login and account pages, Credentials and DeleteCredential for
// users — with the same contracts as
// *mfa.Service's: a failed Verify carries the same *mfa.Failure reason, a
// refused send its Retry-After. A Client is safe for concurrent use.
type Client struct {
	hc     *http.Client
	remote *iamhttp.ServiceClient
}

var _ users.FactorCredentials = (*Client)(nil)

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 10-second
// timeout).
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.hc = hc } }

// NewClient returns a Client for the mfa-service at baseURL (e.g.
// "http://mfa-service:8088"), authenticating with serviceToken
// (OPENGATE_SERVICE_TOKEN).
func NewClient(baseURL, serviceToken string, opts ...ClientOption) *Client {
	c := &Client{}
	for _, o := range opts {
		o(c)
	}
	c.remote = iamhttp.NewServiceClient("mfa service", baseURL, serviceToken, c.hc)
	return c
}

// path returns the internal path of a user's resource, or an error for a
// malformed realm or an empty user id.
func path(op string, realm iam.Realm, userID, rest string) (string, error) {
	if err := realm.Validate(); err != nil {
		return "", iam.Wrap(op, err)
	}
	if userID == "" {
		return "", iam.Wrap(op, iam.Invalidf("userId", "a user id is required"))
	}
	return "/internal/realms/" + url.PathEscape(string(realm)) + "/mfa/users/" + url.PathEscape(userID) + rest, nil
}

// Factors returns the user's confirmed factors (see mfa.Service.Factors).
func (c *Client) Factors(ctx context.Context, realm iam.Realm, userID string) ([]mfa.PublicFactor, error) {
	const op = "mfahttp.Client.Factors"
	p, err := path(op, realm, userID, "/factors")
	if err != nil {
		return nil, err
	}
	var reps []FactorRepresentation
	if err := c.remote.Do(ctx, op, http.MethodGet, p, nil, &reps); err != nil {
		return nil, err
	}
	out := make([]mfa.PublicFactor, 0, len(reps))
	for _, rep := range reps {
		out = append(out, fromFactor(realm, userID, rep))
	}
	return out, nil
}

// Verify checks a second-factor code (see mfa.Service.Verify).
func (c *Client) Verify(ctx context.Context, realm iam.Realm, userID, code string) (string, error) {
	const op = "mfahttp.Client.Verify"
	p, err := path(op, realm, userID, "/verify")
	if err != nil {
		return "", err
	}
	var out verifyAnswer
	if err := c.remote.DoWithErrorFunc(ctx, op, http.MethodPost, p, verifyRequest{Code: code}, &out, verifyError); err != nil {
		return "", err
	}
	return out.Method, nil
}

// verifyError rebuilds the in-process error of a failed Verify from the
// reason (a 401 without one, e.g. a wrong service token, is an internal
// failure, not a wrong code).
func verifyError(op string, resp *http.Response) error {
	if resp.StatusCode != http.StatusUnauthorized {
		return nil
	}
	var f verifyFailure
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&f)
	if f.Reason == "" {
		return &iam.Error{Code: iam.CodeInternal, Op: op, Message: "mfa service refused the call",
			Err: iam.Errorf(iam.CodeUnauthenticated, "%s", resp.Status)}
	}
	return iam.Wrap(op, mfa.NewFailure(f.Reason))
}

// SendEmailOTP sends the user an email code (see mfa.Service.SendEmailOTP).
func (c *Client) SendEmailOTP(ctx context.Context, realm iam.Realm, userID, email string) error {
	const op = "mfahttp.Client.SendEmailOTP"
	p, err := path(op, realm, userID, "/email-otp")
	if err != nil {
		return err
	}
	return c.remote.Do(ctx, op, http.MethodPost, p, emailRequest{Email: email}, nil)
}

// Credentials lists the user's factors as Keycloak credentials (see
// mfa.Service.Credentials); it implements users.FactorCredentials.
func (c *Client) Credentials(ctx context.Context, realm iam.Realm, userID string) ([]users.Credential, error) {
	const op = "mfahttp.Client.Credentials"
	p, err := path(op, realm, userID, "/credentials")
	if err != nil {
		return nil, err
	}
	var reps []credentialRepresentation
	if err := c.remote.Do(ctx, op, http.MethodGet, p, nil, &reps); err != nil {
		return nil, err
	}
	out := make([]users.Credential, 0, len(reps))
	for _, rep := range reps {
		out = append(out, users.Credential{ID: rep.ID, Type: rep.Type, UserLabel: rep.UserLabel,
			CreatedAt: time.UnixMilli(rep.CreatedDate).UTC()})
	}
	return out, nil
}

// DeleteCredential removes the user's factor credID (see
// mfa.Service.DeleteCredential): CodeNotFound when there is none.
func (c *Client) DeleteCredential(ctx context.Context, realm iam.Realm, userID, credID string) error {
	const op = "mfahttp.Client.DeleteCredential"
	if credID == "" {
		return iam.Wrap(op, iam.NotFoundf("factor not found"))
	}
	p, err := path(op, realm, userID, "/credentials/"+url.PathEscape(credID))
	if err != nil {
		return err
	}
	return c.remote.Do(ctx, op, http.MethodDelete, p, nil, nil)
}
