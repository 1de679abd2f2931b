package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBody bounds what is read of an answer.
const maxBody = 4 << 20

// statusError is an answer with an unexpected status. Its message names
// the method, path and status only: a query string or body may hold a
// code or token.
type statusError struct {
	method, path string
	status       int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d", e.method, e.path, e.status)
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send sends req and reads the answer; want, when not 0, is the only
// status accepted.
func send(client *http.Client, req *http.Request, want int) (answer, error) {
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Path, err)
	}
	if want != 0 && resp.StatusCode != want {
		return answer{}, &statusError{method: req.Method, path: req.URL.Path, status: resp.StatusCode}
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// unwrapURLError drops url.Error's quoting of the whole URL, which may
// carry a code or state.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// postForm posts form to u and wants 200.
func postForm(ctx context.Context, client *http.Client, u string, form url.Values) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(client, req, http.StatusOK)
}

// tokenResponse is the part of a token endpoint answer the scenarios use.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// token posts form to a token endpoint and reads the tokens.
func token(ctx context.Context, client *http.Client, endpoint string, form url.Values) (tokenResponse, error) {
	a, err := postForm(ctx, client, endpoint, form)
	if err != nil {
		return tokenResponse{}, err
	}
	var t tokenResponse
	if err := json.Unmarshal(a.body, &t); err != nil || t.AccessToken == "" {
		return tokenResponse{}, fmt.Errorf("POST %s: no access_token in the answer", pathOf(endpoint))
	}
	return t, nil
}

// pathOf returns u's path, for messages.
func pathOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return "?"
}

// tokenSource hands out an access token, fetching a new one when the
// current one has less than a third of its lifetime left, so that runs
// longer than a token's life keep working. Safe for concurrent use; one
// fetch at a time.
type tokenSource struct {
	fetch func(context.Context) (tokenResponse, error)

	mu  sync.Mutex
	cur atomic.Pointer[heldToken]
}

type heldToken struct {
	access  string
	renewAt time.Time
}

func newTokenSource(fetch func(context.Context) (tokenResponse, error)) *tokenSource {
	return &tokenSource{fetch: fetch}
}

// token returns a token that is not due for renewal.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	if h := s.cur.Load(); h != nil && time.Now().Before(h.renewAt) {
		return h.access, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.cur.Load(); h != nil && time.Now().Before(h.renewAt) {
		return h.access, nil
	}
	t, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	life := time.Duration(t.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Minute
	}
	s.cur.Store(&heldToken{access: t.AccessToken, renewAt: time.Now().Add(life * 2 / 3)})
	return t.AccessToken, nil
}
