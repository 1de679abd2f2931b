package users_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestMemoryLimiter(t *testing.T) {
	userstest.RunLimiter(t, func(t *testing.T) userstest.LimiterHarness {
		c := &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
		return userstest.LimiterHarness{
			Limiter: users.NewMemoryLimiter(c.Now, 0),
			Advance: func(_ *testing.T, d time.Duration) { c.Advance(d) },
			Window:  time.Minute,
		}
	})
}

func TestMemoryLimiterKeepsAtMostMaxKeys(t *testing.T) {
	c := &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	l := users.NewMemoryLimiter(c.Now, 2)
	ctx := context.Background()
	for _, k := range []string{"a", "a", "b"} {
		c.Advance(time.Second)
		if _, _, err := l.Hit(ctx, k, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// A third key evicts the window ending first (a's), so a starts again.
	_, _, _ = l.Hit(ctx, "c", time.Hour)
	if n, _, _ := l.Hit(ctx, "a", time.Hour); n != 1 {
		t.Fatalf("a counts %d after its eviction, want 1", n)
	}
}

// callLog is a users.Store that records the names of the calls that reach
// it.
type callLog struct {
	users.Store
	mu    sync.Mutex
	calls []string
}

func (s *callLog) record(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, name)
}

func (s *callLog) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = nil
	return out
}

func (s *callLog) GetByUsername(ctx context.Context, realm iam.Realm, username string) (users.User, error) {
	s.record("GetByUsername")
	return s.Store.GetByUsername(ctx, realm, username)
}

func (s *callLog) GetByEmail(ctx context.Context, realm iam.Realm, email string) (users.User, error) {
	s.record("GetByEmail")
	return s.Store.GetByEmail(ctx, realm, email)
}

func (s *callLog) CreateToken(ctx context.Context, tok users.ActionToken, events ...iam.Event) error {
	s.record("CreateToken")
	return s.Store.CreateToken(ctx, tok, events...)
}

// A reset request does the same work whether or not its user exists: what
// depends on the user runs after the request has been answered.
func TestResetRequestsDoTheSameWorkForEveryLogin(t *testing.T) {
	var pending []func()
	e := newEnv(t, users.WithResetRunner(func(work func()) { pending = append(pending, work) }))
	log := &callLog{Store: e.store}
	svc := users.New(log, e.realms, users.WithParams(userstest.FastParams), users.WithLinkSealer(e.links),
		users.WithResetRunner(func(work func()) { pending = append(pending, work) }))
	if _, err := svc.Create(bg(), "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(bg(), "acme", users.User{Username: "off", Email: "off@example.com"}); err != nil {
		t.Fatal(err)
	}
	log.take()
	logins := []string{"alice", "alice@example.com", "mallory", "nobody@example.com", "off"}
	for _, login := range logins {
		if err := svc.RequestPasswordReset(bg(), "acme", login); err != nil {
			t.Fatalf("%q: %v", login, err)
		}
		if calls := log.take(); len(calls) != 0 {
			t.Fatalf("request for %q reached the store while it was answered: %v", login, calls)
		}
	}
	if slices.Contains(e.pub.topics(), iam.TopicUserPasswordResetRequested) {
		t.Fatal("a link was issued before the request's work ran")
	}
	for _, work := range pending {
		work()
	}
	got := log.take()
	if tokens := slices.DeleteFunc(slices.Clone(got), func(c string) bool { return c != "CreateToken" }); len(tokens) != 2 {
		t.Fatalf("the work's store calls = %v: want a token for alice (by name and by email), none for the others", got)
	}
}

func TestResetRequestsAreLimited(t *testing.T) {
	limits := users.ResetLimits{PerLogin: 2, PerIP: 3, Window: time.Minute}
	newSvc := func(t *testing.T) (*env, context.Context) {
		t.Helper()
		c := &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
		e := newEnv(t, users.WithClock(c.Now), users.WithResetLimits(users.NewMemoryLimiter(c.Now, 0), limits))
		e.clock = c
		return e, iam.WithClientIP(bg(), "192.0.2.1")
	}
	request := func(ctx context.Context, e *env, login string) error {
		return e.svc.RequestPasswordReset(ctx, "acme", login)
	}
	t.Run("PerLoginWhateverItsSpellingAndWhetherItExists", func(t *testing.T) {
		e, _ := newSvc(t)
		for _, login := range []string{"mallory", "MALLORY"} {
			if err := request(bg(), e, login); err != nil {
				t.Fatal(err)
			}
		}
		err := request(bg(), e, "Mallory")
		wantCode(t, err, iam.CodeRateLimited)
		if after := iam.RetryAfter(err); after <= 0 || after > time.Minute {
			t.Fatalf("retry hint %v, want within the window", after)
		}
		if err := request(bg(), e, "alice"); err != nil {
			t.Fatalf("another login: %v", err)
		}
		e.clock.Advance(time.Minute)
		if err := request(bg(), e, "mallory"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	t.Run("PerAddressOverEveryLogin", func(t *testing.T) {
		e, from := newSvc(t)
		for _, login := range []string{"a", "b", "c"} {
			if err := request(from, e, login); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, request(from, e, "d"), iam.CodeRateLimited)
		if err := request(iam.WithClientIP(bg(), "192.0.2.2"), e, "d"); err != nil {
			t.Fatalf("another address: %v", err)
		}
	})
	t.Run("ALimiterThatCannotCountRefuses", func(t *testing.T) {
		e := newEnv(t, users.WithResetLimits(brokenLimiter{}, limits))
		wantCode(t, request(bg(), e, "alice"), iam.CodeUnavailable)
	})
}

type brokenLimiter struct{}

func (brokenLimiter) Hit(context.Context, string, time.Duration) (int, time.Duration, error) {
	return 0, 0, iam.Errorf(iam.CodeUnavailable, "redis is down")
}
