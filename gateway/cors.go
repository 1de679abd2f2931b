package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// OriginSource returns the web origins a realm allows ("https://app.example.com"):
// the realm's own corsOrigins and its clients' webOrigins, with Keycloak's
// "+" resolved to the origins of the client's redirect URIs. A realm that
// does not exist has none (nil, nil or CodeNotFound). ServiceOrigins reads
// them from the realms and clients services.
type OriginSource interface {
	Origins(ctx context.Context, realm iam.Realm) ([]string, error)
}

// OriginsFunc adapts a function to OriginSource.
type OriginsFunc func(ctx context.Context, realm iam.Realm) ([]string, error)

// Origins calls f.
func (f OriginsFunc) Origins(ctx context.Context, realm iam.Realm) ([]string, error) {
	return f(ctx, realm)
}

// CORS is the gateway's cross-origin policy. The gateway alone answers for
// CORS: it answers preflight requests itself and drops CORS headers its
// upstreams send.
type CORS struct {
	// Origins are allowed on every path ("https://console.example.com").
	Origins []string
	// Source gives each realm's origins, allowed on the realm's paths
	// (/realms/{realm}/..., /admin/realms/{realm}/...); the master realm's
	// are also allowed on every /admin path, where the administration
	// consoles, master's clients, call every realm. Nil: only Origins.
	Source OriginSource
	// CacheTTL is how long a realm's origins are kept (default one minute);
	// InvalidateOrigins drops them sooner.
	CacheTTL time.Duration
	// MaxAge is how long browsers may cache a preflight answer (default ten
	// minutes).
	MaxAge time.Duration
}

// WithCORS sets the cross-origin policy. Without it no origin is allowed:
// preflight requests are refused (403) and responses carry no CORS header.
// An origin that is not scheme://host[:port] (http or https) is an error.
func WithCORS(c CORS) Option {
	return func(g *Gateway) error {
		p, err := newCORSPolicy(c)
		if err != nil {
			return err
		}
		g.cors = p
		return nil
	}
}

// The methods a preflight may ask for, and the response headers scripts
// may read.
const (
	corsMethods       = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsExposeHeaders = "Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, WWW-Authenticate, X-Request-Id"
	maxCachedRealms   = 10000
	// originFetchTimeout bounds one read of a realm's origins; the
	// requests waiting for it are not held longer.
	originFetchTimeout = 5 * time.Second
)

// corsMethodSet are the methods of corsMethods.
var corsMethodSet = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

type corsPolicy struct {
	static map[string]bool
	source OriginSource
	log    *slog.Logger
	ttl    time.Duration
	maxAge string

	mu       sync.Mutex
	realms   map[iam.Realm]*originEntry
	epoch    uint64
	lastWarn time.Time
}

// originEntry is one realm's origins, or the fetch of them in flight.
type originEntry struct {
	ready   chan struct{} // closed when origins is set
	origins map[string]bool
	expires time.Time
}

func newCORSPolicy(c CORS) (*corsPolicy, error) {
	p := &corsPolicy{static: map[string]bool{}, source: c.Source, ttl: c.CacheTTL, realms: map[iam.Realm]*originEntry{}}
	if p.ttl <= 0 {
		p.ttl = time.Minute
	}
	maxAge := c.MaxAge
	if maxAge <= 0 {
		maxAge = 10 * time.Minute
	}
	p.maxAge = strconv.Itoa(int(maxAge / time.Second))
	for _, o := range c.Origins {
		n, ok := normalizeOrigin(o)
		if !ok {
			return nil, iam.Invalidf("origins", "gateway: %q is not an origin (scheme://host[:port])", o)
		}
		p.static[n] = true
	}
	return p, nil
}

// normalizeOrigin returns o as browsers send it in Origin: lowercase scheme
// and host, no default port; ok is false for anything but an http(s)
// origin.
func normalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, "*#") {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if u.Scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	} else {
		host = strings.TrimSuffix(host, ":80")
	}
	return u.Scheme + "://" + host, true
}

// allowed reports whether origin may call the request's path.
func (p *corsPolicy) allowed(ctx context.Context, origin string, s *state) bool {
	n, ok := normalizeOrigin(origin)
	if !ok {
		return false
	}
	if p.static[n] {
		return true
	}
	if p.source == nil {
		return false
	}
	if s.realm != "" && p.realmOrigins(ctx, s.realm)[n] {
		return true
	}
	admin := s.path == "/admin" || strings.HasPrefix(s.path, "/admin/")
	return admin && s.realm != iam.MasterRealm && p.realmOrigins(ctx, iam.MasterRealm)[n]
}

// realmOrigins returns realm's origins from the cache, fetching them (once
// for concurrent callers) when absent or expired. A failed fetch allows
// nothing, is logged and is not cached.
func (p *corsPolicy) realmOrigins(ctx context.Context, realm iam.Realm) map[string]bool {
	now := time.Now()
	p.mu.Lock()
	e := p.realms[realm]
	if e != nil {
		select {
		case <-e.ready:
			if now.Before(e.expires) {
				p.mu.Unlock()
				return e.origins
			}
		default:
			p.mu.Unlock()
			select {
			case <-e.ready:
				return e.origins
			case <-ctx.Done():
				return nil
			}
		}
	}
	if len(p.realms) >= maxCachedRealms {
		clear(p.realms)
	}
	e = &originEntry{ready: make(chan struct{})}
	p.realms[realm] = e
	epoch := p.epoch
	p.mu.Unlock()

	fetchCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), originFetchTimeout)
	list, err := p.source.Origins(fetchCtx, realm)
	cancel()
	if err != nil && iam.ErrorCode(err) == iam.CodeNotFound {
		list, err = nil, nil
	}
	set := make(map[string]bool, len(list))
	for _, o := range list {
		if n, ok := normalizeOrigin(o); ok {
			set[n] = true
		}
	}
	p.mu.Lock()
	e.origins, e.expires = set, time.Now().Add(p.ttl)
	if err != nil || p.epoch != epoch {
		e.expires = time.Time{} // used by the waiters, never again
		if err != nil && time.Since(p.lastWarn) > 10*time.Second {
			p.lastWarn = time.Now()
			p.log.WarnContext(ctx, "gateway: the origins of a realm are unavailable; its origins are refused",
				slog.String("realm", string(realm)), slog.String("error", err.Error()))
		}
	}
	close(e.ready)
	p.mu.Unlock()
	return set
}

// invalidate drops realm's cached origins, or every realm's for "".
func (p *corsPolicy) invalidate(realm iam.Realm) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.epoch++
	if realm == "" {
		clear(p.realms)
		return
	}
	delete(p.realms, realm)
}

// InvalidateOrigins drops the cached origins of realm ("" for every realm),
// so the next request reads them again: call it when a realm's corsOrigins
// or a client's webOrigins or redirect URIs change (HandleEvent does).
func (g *Gateway) InvalidateOrigins(realm iam.Realm) { g.cors.invalidate(realm) }

// HandleEvent drops cached origins on realm.updated, realm.deleted and
// client.created/updated/deleted; other events are ignored. It never fails.
// Subscribe it in a consumer group of its own per gateway process (every
// replica must see every event), with OriginTopics.
func (g *Gateway) HandleEvent(_ context.Context, e iam.Event) error {
	switch e.Type {
	case iam.TopicRealmUpdated, iam.TopicRealmDeleted, iam.TopicRealmCreated,
		iam.TopicClientCreated, iam.TopicClientUpdated, iam.TopicClientDeleted:
		g.cors.invalidate(e.Realm)
	}
	return nil
}

// OriginTopics returns the topics HandleEvent follows.
func OriginTopics() []string {
	return []string{iam.TopicRealmCreated, iam.TopicRealmUpdated, iam.TopicRealmDeleted,
		iam.TopicClientCreated, iam.TopicClientUpdated, iam.TopicClientDeleted}
}

// corsStage answers preflight requests (OPTIONS with
// Access-Control-Request-Method) itself: 204 with the CORS headers for an
// allowed origin and method, 403 otherwise; they go no further. Other
// requests from an allowed origin get Access-Control-Allow-Origin (that
// origin, never "*"), Access-Control-Allow-Credentials and
// Access-Control-Expose-Headers; from any other origin none of them. Every
// answer to a request with Origin varies by it.
func (g *Gateway) corsStage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if origin == "" && !preflight {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		s := stateFrom(r.Context())
		ok := origin != "" && g.cors.allowed(r.Context(), origin, s)
		if preflight {
			h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
			method := r.Header.Get("Access-Control-Request-Method")
			headers, headersOK := requestedHeaders(r.Header.Values("Access-Control-Request-Headers"))
			if !ok || !corsMethodSet[method] || !headersOK {
				g.fail(w, r, iam.Errorf(iam.CodeForbidden, "cross-origin request not allowed"))
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", corsMethods)
			if headers != "" {
				h.Set("Access-Control-Allow-Headers", headers)
			}
			h.Set("Access-Control-Max-Age", g.cors.maxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Add("Vary", "Origin")
		if ok {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// requestedHeaders returns the header names of a preflight's
// Access-Control-Request-Headers, lowercased and comma-separated, and
// whether they are all well-formed (RFC 9110 tokens; at most 50 names).
func requestedHeaders(values []string) (string, bool) {
	var names []string
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if !isToken(name) || len(names) == 50 {
				return "", false
			}
			names = append(names, name)
		}
	}
	return strings.Join(names, ", "), true
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}
