package clients_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// countingReader counts the calls that reach the next Reader.
type countingReader struct {
	clients.Reader
	mu    sync.Mutex
	calls int
}

func (r *countingReader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func (r *countingReader) Authenticate(ctx context.Context, realm iam.Realm, clientID, secret string) (clients.Client, error) {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	return r.Reader.Authenticate(ctx, realm, clientID, secret)
}

func (r *countingReader) GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (clients.Client, error) {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	return r.Reader.GetByClientID(ctx, realm, clientID)
}

func TestCachedReaderAuthenticate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.create(t, validClient(), "the-first-secret-0123456789")
	pub := validClient()
	pub.ClientID, pub.PublicClient = "spa", true
	f.create(t, pub, "")
	next := &countingReader{Reader: f.svc}
	now := time.Unix(1000, 0)
	cr := clients.NewCachedReader(next, clients.WithTTL(time.Minute), clients.WithCacheClock(func() time.Time { return now }))

	for range 3 {
		if _, err := cr.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); err != nil {
			t.Fatal(err)
		}
	}
	if next.count() != 1 {
		t.Fatalf("next called %d times, want 1", next.count())
	}
	// A wrong secret is never answered from the cache, and never cached.
	for range 2 {
		if _, err := cr.Authenticate(ctx, "acme", "web", "a-wrong-secret-0123456789"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
			t.Fatalf("wrong secret: %v", err)
		}
	}
	if next.count() != 3 {
		t.Fatalf("next called %d times, want 3", next.count())
	}
	// Public clients: empty secret cached, a secret refused.
	for range 2 {
		if _, err := cr.Authenticate(ctx, "acme", "spa", ""); err != nil {
			t.Fatal(err)
		}
	}
	if next.count() != 4 {
		t.Fatalf("next called %d times, want 4", next.count())
	}
	if _, err := cr.Authenticate(ctx, "acme", "spa", "x"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("public client with a secret: %v", err)
	}
	// After rotation and the client.updated event, the old secret fails.
	secret, err := f.svc.RotateSecret(ctx, "acme", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	cr.Invalidate("acme", c.ID)
	if _, err := cr.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("old secret after invalidation: %v", err)
	}
	if _, err := cr.Authenticate(ctx, "acme", "web", secret); err != nil {
		t.Fatal(err)
	}
	// Entries expire.
	before := next.count()
	now = now.Add(2 * time.Minute)
	if _, err := cr.Authenticate(ctx, "acme", "web", secret); err != nil || next.count() != before+1 {
		t.Fatalf("expired entry served: calls %d, %v", next.count(), err)
	}
}

func TestCachedReaderGetByClientIDThenAuthenticate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, validClient(), "the-first-secret-0123456789")
	next := &countingReader{Reader: f.svc}
	cr := clients.NewCachedReader(next)
	if _, err := cr.GetByClientID(ctx, "acme", "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := cr.GetByClientID(ctx, "acme", "web"); err != nil || next.count() != 1 {
		t.Fatalf("GetByClientID not cached: %d calls, %v", next.count(), err)
	}
	// A cached Get knows no secret: authentication still asks next.
	if _, err := cr.Authenticate(ctx, "acme", "web", "anything-at-all-0123456789"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("authenticated from a Get entry: %v", err)
	}
	if next.count() != 2 {
		t.Fatalf("calls = %d", next.count())
	}
	cr.InvalidateRealm("acme")
	if _, err := cr.GetByClientID(ctx, "acme", "web"); err != nil || next.count() != 3 {
		t.Fatalf("after InvalidateRealm: %d calls, %v", next.count(), err)
	}
	if _, err := cr.GetByClientID(ctx, "acme", "nobody"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("missing: %v", err)
	}
}
