package sessionhttp_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
)

// Both the in-process service and the remote client are auth's session
// checker.
var (
	_ auth.SessionChecker = (*session.Service)(nil)
	_ auth.SessionChecker = (*sessionhttp.Client)(nil)
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func newClient(t *testing.T, f *fixture, opts ...sessionhttp.ClientOption) *sessionhttp.Client {
	t.Helper()
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	return sessionhttp.NewClient(srv.URL, serviceToken, opts...)
}

func TestClientAnswersAsTheService(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := newClient(t, f, sessionhttp.WithAliveCacheTTL(0))
	if err := f.svc.Terminate(ctx, "acme", "bob-1", session.ReasonAdmin); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sid  string
		want bool
	}{{"alice-1", true}, {"bob-1", false}, {"unknown", true}} {
		if got, err := c.Alive(ctx, "acme", tt.sid); err != nil || got != tt.want {
			t.Fatalf("Alive(%s) = %v, %v; want %v", tt.sid, got, err, tt.want)
		}
		if got, err := c.Touch(ctx, "acme", tt.sid); err != nil || got != tt.want {
			t.Fatalf("Touch(%s) = %v, %v; want %v", tt.sid, got, err, tt.want)
		}
	}
	if _, err := c.Alive(ctx, "Bad Realm", "s"); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("malformed realm: %v", err)
	}
}

// Alive is cached for the TTL after an "alive"; Touch always asks, so a
// refresh after a termination is refused at once.
func TestClientCachesAliveOnly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	clk := &clock{now: time.Now()}
	c := newClient(t, f, sessionhttp.WithClientClock(clk.Now))
	if ok, err := c.Alive(ctx, "acme", "alice-1"); err != nil || !ok {
		t.Fatalf("Alive = %v, %v", ok, err)
	}
	if err := f.svc.Terminate(ctx, "acme", "alice-1", session.ReasonAdmin); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Alive(ctx, "acme", "alice-1"); !ok {
		t.Fatal("Alive within the cache TTL asked the service")
	}
	clk.add(sessionhttp.DefaultAliveCacheTTL)
	if ok, _ := c.Alive(ctx, "acme", "alice-1"); ok {
		t.Fatal("Alive after the cache TTL still says alive")
	}
	if ok, err := c.Alive(ctx, "acme", "alice-2"); err != nil || !ok {
		t.Fatalf("Alive(alice-2) = %v, %v", ok, err)
	}
	if err := f.svc.Terminate(ctx, "acme", "alice-2", session.ReasonAdmin); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Touch(ctx, "acme", "alice-2"); ok {
		t.Fatal("Touch answered from the cache")
	}
	if ok, _ := c.Alive(ctx, "acme", "alice-2"); ok {
		t.Fatal("Touch's 'ended' did not drop the cached 'alive'")
	}
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	wrong := sessionhttp.NewClient(srv.URL, "wrong-token")
	if _, err := wrong.Alive(ctx, "acme", "alice-1"); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("wrong service token: %v", err)
	}
	srv.Close()
	down := sessionhttp.NewClient(srv.URL, serviceToken)
	if _, err := down.Touch(ctx, "acme", "alice-1"); iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("service down: %v", err)
	}
}
