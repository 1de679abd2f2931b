package users_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

// recorder is an iam.Publisher that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []iam.Event
}

func (r *recorder) Publish(_ context.Context, events ...iam.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

// topics returns the types of the recorded events.
func (r *recorder) topics() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

// last returns the last event of topic, failing the test if there is none.
func (r *recorder) last(t *testing.T, topic string) iam.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Type == topic {
			return r.events[i]
		}
	}
	t.Fatalf("no %s event among %d", topic, len(r.events))
	return iam.Event{}
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a Service over a memory store with recorded events.
type env struct {
	svc    *users.Service
	links  *iamcrypto.Sealer
	pub    *recorder
	realms *userstest.Realms
	clock  *clock
	store  users.Store
}

func newEnv(t *testing.T, opts ...users.Option) *env {
	t.Helper()
	pub := &recorder{}
	store := usersmem.New(pub)
	rs := userstest.NewRealms(userstest.Realm("acme"), userstest.Realm("other"), userstest.Realm(iam.MasterRealm))
	c := &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	links := userstest.NewLinkSealer(t)
	opts = append([]users.Option{users.WithParams(userstest.FastParams), users.WithClock(c.Now), users.WithResetRunner(now),
		users.WithPublicURL("https://id.example.com/"), users.WithLinkSealer(links)}, opts...)
	return &env{svc: users.New(store, rs, opts...), links: links, pub: pub, realms: rs, clock: c, store: store}
}

// policy sets acme's password policy (keeping cheap hashing).
func (e *env) policy(p realms.PasswordPolicy) {
	r := userstest.Realm("acme")
	p.HashIterations, p.HashMemoryKiB = 1, 64
	r.PasswordPolicy = p
	e.realms.Put(r)
}

func bg() context.Context { return context.Background() }

// now is a reset runner that does the work at once, so that tests see its
// effects when RequestPasswordReset returns.
func now(work func()) { work() }

// alice creates an enabled alice with password pw in acme.
func (e *env) alice(t *testing.T, pw string) users.User {
	t.Helper()
	u, err := e.svc.Create(bg(), "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true},
		users.NewCredential{Value: pw})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if got := iam.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want %q", err, got, code)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, iam.CodeInvalid)
	if got := iam.ErrorField(err); got != field {
		t.Fatalf("field = %q, want %q (%v)", got, field, err)
	}
}

func wantConflict(t *testing.T, err error, field string) {
	t.Helper()
	wantCode(t, err, iam.CodeConflict)
	if got := iam.ErrorField(err); got != field {
		t.Fatalf("field = %q, want %q (%v)", got, field, err)
	}
}

func contains(t *testing.T, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Fatalf("%q does not contain %q", s, p)
		}
	}
}
