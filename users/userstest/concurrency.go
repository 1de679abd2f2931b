package userstest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// tally counts the outcomes of concurrent calls.
type tally struct {
	mu        sync.Mutex
	ok, confl int
	other     []error
}

func (c *tally) add(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch iam.ErrorCode(err) {
	case "":
		c.ok++
	case iam.CodeConflict:
		c.confl++
	default:
		c.other = append(c.other, err)
	}
}

func (c *tally) want(t *testing.T, n int) {
	t.Helper()
	if len(c.other) > 0 {
		t.Fatalf("unexpected errors: %v", c.other)
	}
	if c.ok != 1 || c.confl != n-1 {
		t.Fatalf("%d created, %d conflicts; want 1 and %d", c.ok, c.confl, n-1)
	}
}

func testConcurrentCreatesOfOneUsernameOneWins(t *testing.T, h Harness) {
	const n = 50
	s := h.Store
	var c tally
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := newUser("acme", "alice")
			u.Email = fmt.Sprintf("alice%d@example.com", i)
			c.add(s.Create(ctx(t), u, users.CreateOptions{UniqueEmail: true}))
		})
	}
	wg.Wait()
	c.want(t, n)
	if cnt, _ := s.Count(ctx(t), "acme", users.Filter{}); cnt != 1 {
		t.Fatalf("%d users", cnt)
	}
}

func testConcurrentCreatesOfOneUniqueEmailOneWins(t *testing.T, h Harness) {
	const n = 50
	s := h.Store
	var c tally
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := newUser("acme", fmt.Sprintf("user%d", i))
			u.Email = "shared@example.com"
			c.add(s.Create(ctx(t), u, users.CreateOptions{UniqueEmail: true}))
		})
	}
	wg.Wait()
	c.want(t, n)
}

func testConcurrentCreatesOfOneUsernameInAnyCaseOneWins(t *testing.T, h Harness) {
	const n = 50
	s := h.Store
	svc := users.New(s, NewRealms(Realm("acme")), users.WithParams(FastParams))
	names := []string{"Alice", "alice", "ALICE", "aLiCe"}
	var c tally
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := svc.Create(ctx(t), "acme", users.User{Username: names[i%len(names)], Enabled: true})
			c.add(err)
		})
	}
	wg.Wait()
	c.want(t, n)
	u, err := svc.GetByUsername(ctx(t), "acme", "ALICE")
	if err != nil || u.Username != "alice" {
		t.Fatalf("GetByUsername = %+v, %v", u, err)
	}
	if cnt, _ := svc.Count(ctx(t), "acme", users.Filter{}); cnt != 1 {
		t.Fatalf("%d users", cnt)
	}
}

func testConcurrentCreatesInDifferentRealmsAllWin(t *testing.T, h Harness) {
	s := h.Store
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			errs[i] = s.Create(ctx(t), newUser(iam.Realm(fmt.Sprintf("realm%d", i)), "alice"), users.CreateOptions{UniqueEmail: true})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("realm%d: %v", i, err)
		}
	}
}
