package iamtest

import (
	"context"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/rueidis"
)

// Proxy is a TCP proxy to a dependency that a test can make stop answering
// and answer again, to check deadlines and recovery. While stalled it
// accepts connections and reads what clients send, but forwards nothing in
// either direction: to the client the dependency is up but silent, the
// failure no connect timeout catches. Resume forwards everything held back.
// It is closed when the test ends.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	resumed chan struct{} // closed while forwarding; open while stalled
	conns   map[net.Conn]struct{}
}

// NewProxy listens on a loopback port and forwards each connection to
// target (host:port).
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("iamtest: proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, target: target, resumed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	close(p.resumed)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Stall stops forwarding, on open connections and new ones.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resumed:
		p.resumed = make(chan struct{})
	default: // already stalled
	}
}

// Resume forwards again, starting with what was held back.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.resumed:
	default:
		close(p.resumed)
	}
}

// gate returns the channel that is closed while forwarding.
func (p *Proxy) gate() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resumed
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		go p.serve(c)
	}
}

// track remembers c for close; false when the proxy is closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) serve(c net.Conn) {
	defer c.Close()
	<-p.gate() // a stalled dependency does not even start the session
	u, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	if err != nil {
		return
	}
	if !p.track(u) {
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	go func() { p.pipe(u, c); done <- struct{}{} }()
	go func() { p.pipe(c, u); done <- struct{}{} }()
	<-done
}

// pipe copies src to dst, holding each chunk back while stalled.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			<-p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) close() {
	p.Resume() // release held chunks, which then fail on closed connections
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// StallablePostgres is Postgres reached through a Proxy: a pool on a fresh
// database, and the proxy that can make the database go silent.
func StallablePostgres(t testing.TB) (*pgxpool.Pool, *Proxy) {
	t.Helper()
	u, err := url.Parse(PostgresURL(t))
	if err != nil {
		t.Fatalf("iamtest: parse the database URL: %v", err)
	}
	proxy := NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatalf("iamtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("iamtest: ping through the proxy: %v", err)
	}
	return pool, proxy
}

// StallableRedis is Redis reached through a Proxy: a client, the key prefix
// unique to t (as Redis gives) and the proxy that can make Redis go silent.
// The client is closed when the test ends; the keys under the prefix are
// deleted.
func StallableRedis(t testing.TB) (rueidis.Client, string, *Proxy) {
	t.Helper()
	return stallableRedis(t, false)
}

// StallableCachingRedis is StallableRedis with client-side caching on (see
// CachingRedis): answers in the client's cache are served while the proxy
// is stalled, until the client, which waits 2 s for an answer to a PING
// sent after 1 s of silence (as cmd/gateway's), closes the connection and
// drops them.
func StallableCachingRedis(t testing.TB) (rueidis.Client, string, *Proxy) {
	t.Helper()
	return stallableRedis(t, true)
}

func stallableRedis(t testing.TB, cache bool) (rueidis.Client, string, *Proxy) {
	t.Helper()
	_, prefix := Redis(t) // its client cleans the prefix up when t ends
	opt, err := rueidis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatalf("iamtest: parse %s: %v", EnvRedisURL, err)
	}
	if len(opt.InitAddress) != 1 {
		t.Fatal("iamtest: a stallable Redis needs a single-node Redis URL")
	}
	proxy := NewProxy(t, opt.InitAddress[0])
	opt.InitAddress = []string{proxy.Addr()}
	opt.DisableCache = !cache
	if cache {
		opt.ConnWriteTimeout = 2 * time.Second
	}
	client, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatalf("iamtest: connect to redis through the proxy: %v", err)
	}
	t.Cleanup(client.Close)
	return client, prefix, proxy
}
