package iamhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// MaxAnswerBytes is the default limit on the JSON answer a ServiceClient
// decodes; a longer answer is a malformed one (CodeInternal).
const MaxAnswerBytes = 1 << 20

// ServiceClient is the plumbing of the clients services use to call each
// other's /internal API: it sends the service token, encodes the request and
// decodes the answer as JSON, and translates failures into *iam.Error once,
// the reverse of Error. A ServiceClient is safe for concurrent use.
type ServiceClient struct {
	service string
	base    string
	token   string
	hc      *http.Client
	limit   int64
}

// ServiceClientOption configures a ServiceClient.
type ServiceClientOption func(*ServiceClient)

// WithAnswerLimit sets the largest answer, in bytes, that Do decodes
// (default MaxAnswerBytes).
func WithAnswerLimit(n int64) ServiceClientOption {
	return func(c *ServiceClient) { c.limit = n }
}

// NewServiceClient returns a ServiceClient for the service at baseURL (e.g.
// "http://realm-service:8083"; a trailing slash is ignored) that sends token
// in ServiceTokenHeader. service names the remote in error messages (e.g.
// "realm service"). A nil hc means an http.Client with a 10-second timeout.
func NewServiceClient(service, baseURL, token string, hc *http.Client, opts ...ServiceClientOption) *ServiceClient {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	c := &ServiceClient{service: service, base: strings.TrimSuffix(baseURL, "/"), token: token,
		hc: hc, limit: MaxAnswerBytes}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Do sends method to path (which starts with "/" and may carry a query)
// under the base URL, with in as its JSON body (no body when in is nil), and
// decodes a 2xx answer into out (the answer is ignored when out is nil).
// Errors, all *iam.Error with Op op:
//   - the server's code, field and message for a non-2xx answer (see
//     ResponseError);
//   - CodeUnavailable ("<service> unavailable") when the service cannot be
//     reached, including when ctx ends first (the cause is then in the
//     chain: errors.Is(err, context.Canceled));
//   - CodeInternal ("malformed answer from <service>") for an answer that is
//     not JSON of out's shape or longer than the answer limit.
func (c *ServiceClient) Do(ctx context.Context, op, method, path string, in, out any) error {
	return c.DoWithErrorFunc(ctx, op, method, path, in, out, nil)
}

// ErrorFunc turns a non-2xx answer that its caller knows more about than
// ResponseError does (e.g. a reason in the body) into an error. It returns
// nil, without reading the body, to leave the answer to ResponseError. It
// must not close the body.
type ErrorFunc func(op string, resp *http.Response) error

// DoWithErrorFunc is Do with onError asked first about each non-2xx answer;
// a nil onError is Do.
func (c *ServiceClient) DoWithErrorFunc(ctx context.Context, op, method, path string, in, out any, onError ErrorFunc) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return iam.Wrap(op, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return iam.Wrap(op, err)
	}
	req.Header.Set(ServiceTokenHeader, c.token)
	if t := callerToken(ctx); t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: c.service + " unavailable", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if onError != nil {
			if err := onError(op, resp); err != nil {
				return err
			}
		}
		return ResponseError(op, resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, c.limit)).Decode(out); err != nil {
		return &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed answer from " + c.service, Err: err}
	}
	return nil
}
