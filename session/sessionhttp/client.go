package sessionhttp

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// DefaultAliveCacheTTL is how long a Client answers Alive from memory after
// the session service said the session is alive.
const DefaultAliveCacheTTL = 2 * time.Second

// maxCached bounds the alive cache; a full cache is emptied.
const maxCached = 100_000

// Client asks a remote session-service whether sessions are alive, through
// its internal API: auth-service's auth.SessionChecker; for auth-service's
// account pages it also lists a user's sessions and ends one
// (ListByUser, TerminateOwn). It is safe for concurrent use.
//
// Alive answers "alive" from memory for DefaultAliveCacheTTL
// (WithAliveCacheTTL) after the service last said so — introspection, which
// resource servers may call on every request, then costs no network call —
// so a terminated session's token can introspect as active for that long
// if auth has not consumed its session.terminated yet (auth then revokes the
// session's tokens itself). Touch, which auth calls on every refresh, always
// asks the service: a terminated session's refresh token is refused at
// once.
type Client struct {
	hc     *http.Client
	ttl    time.Duration
	now    func() time.Time
	remote *iamhttp.ServiceClient

	mu    sync.Mutex
	alive map[cacheKey]time.Time // session → when its "alive" answer expires
}

type cacheKey struct {
	realm iam.Realm
	sid   string
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 10-second
// timeout).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) { c.hc = hc }
}

// WithAliveCacheTTL sets how long Alive answers "alive" from memory
// (DefaultAliveCacheTTL); 0 asks the service every time.
func WithAliveCacheTTL(d time.Duration) ClientOption {
	return func(c *Client) { c.ttl = max(d, 0) }
}

// WithClientClock replaces time.Now for the cache (tests).
func WithClientClock(now func() time.Time) ClientOption {
	return func(c *Client) { c.now = now }
}

// NewClient returns a Client for the session-service at baseURL (e.g.
// "http://session-service:8087"), authenticating with serviceToken
// (OPENGATE_SERVICE_TOKEN).
func NewClient(baseURL, serviceToken string, opts ...ClientOption) *Client {
	c := &Client{ttl: DefaultAliveCacheTTL, now: time.Now, alive: map[cacheKey]time.Time{}}
	for _, o := range opts {
		o(c)
	}
	c.remote = iamhttp.NewServiceClient("session service", baseURL, serviceToken, c.hc)
	return c
}

// Alive reports whether session sid of realm may still be used (see
// session.Service.Alive), from the cache when the service said "alive"
// less than the cache TTL ago. Errors carry the server's code;
// CodeUnavailable when the service cannot be reached.
func (c *Client) Alive(ctx context.Context, realm iam.Realm, sid string) (bool, error) {
	const op = "sessionhttp.Client.Alive"
	if err := realm.Validate(); err != nil {
		return false, iam.Wrap(op, err)
	}
	if c.cached(realm, sid) {
		return true, nil
	}
	return c.ask(ctx, op, http.MethodGet, realm, sid, "alive")
}

// Touch records a use of session sid (a refresh) and reports whether it is
// alive (see session.Service.Touch). It always asks the service.
func (c *Client) Touch(ctx context.Context, realm iam.Realm, sid string) (bool, error) {
	const op = "sessionhttp.Client.Touch"
	if err := realm.Validate(); err != nil {
		return false, iam.Wrap(op, err)
	}
	return c.ask(ctx, op, http.MethodPost, realm, sid, "touch")
}

// ask calls the internal API and caches the answer.
func (c *Client) ask(ctx context.Context, op, method string, realm iam.Realm, sid, what string) (bool, error) {
	var out AliveRepresentation
	path := "/internal/realms/" + url.PathEscape(string(realm)) + "/sessions/" + url.PathEscape(sid) + "/" + what
	if err := c.remote.Do(ctx, op, method, path, nil, &out); err != nil {
		return false, err
	}
	c.remember(realm, sid, out.Alive)
	return out.Alive, nil
}

func (c *Client) cached(realm iam.Realm, sid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.alive[cacheKey{realm, sid}]
	return ok && c.now().Before(until)
}

// remember caches an "alive" answer, and forgets the session on "ended".
func (c *Client) remember(realm iam.Realm, sid string, alive bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey{realm, sid}
	if !alive || c.ttl == 0 {
		delete(c.alive, k)
		return
	}
	now := c.now()
	if len(c.alive) >= maxCached {
		for k, until := range c.alive {
			if !now.Before(until) {
				delete(c.alive, k)
			}
		}
		if len(c.alive) >= maxCached {
			clear(c.alive)
		}
	}
	c.alive[k] = now.Add(c.ttl)
}
