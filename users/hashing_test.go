package users_test

import (
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
)

// gatedHasher runs package password's Hash and Verify, each first waiting
// for the gate (when one is set), and records how many run at once.
type gatedHasher struct {
	mu            sync.Mutex
	gate          chan struct{} // nil: no waiting
	running, peak int
	calls         int
}

// closeGate makes later hashes wait until the returned function is called.
func (h *gatedHasher) closeGate() (open func()) {
	gate := make(chan struct{})
	h.mu.Lock()
	h.gate = gate
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		h.gate = nil
		h.mu.Unlock()
		close(gate)
	}
}

func (h *gatedHasher) enter() {
	h.mu.Lock()
	h.running++
	h.calls++
	h.peak = max(h.peak, h.running)
	gate := h.gate
	h.mu.Unlock()
	if gate != nil {
		<-gate
	}
	h.mu.Lock()
	h.running--
	h.mu.Unlock()
}

func (h *gatedHasher) Running() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.running
}

func (h *gatedHasher) Hash(pw string, p password.Params) (string, error) {
	h.enter()
	return password.Hash(pw, p)
}

func (h *gatedHasher) Verify(encoded, pw string) (bool, error) {
	h.enter()
	return password.Verify(encoded, pw)
}

// TestHashingIsBoundedUnderABurst replays the review's burst (password
// logins for unknown users, each verifying against the dummy hash) with
// every hash held open: at most slots run, at most queue wait, and every
// other login is turned away at once with CodeUnavailable and a retry hint,
// so the memory of hashing is bounded by slots × the hash's memory however
// many requests arrive.
func TestHashingIsBoundedUnderABurst(t *testing.T) {
	const slots, queue, burst = 2, 3, 40
	h := &gatedHasher{}
	e := newEnv(t, users.WithHasher(h), users.WithHashLimit(slots, queue))
	_, _ = e.svc.Authenticate(bg(), "acme", "nobody", "warm-up") // makes the dummy hash
	h.mu.Lock()
	h.calls = 0
	h.mu.Unlock()
	open := h.closeGate()
	errs := make(chan error, burst)
	for i := 0; i < burst; i++ {
		go func() {
			_, err := e.svc.Authenticate(bg(), "acme", "nobody", "guess")
			errs <- err
		}()
	}
	// Nothing finishes while the gate is closed, so the first burst-slots-
	// queue answers are exactly the rejected ones.
	for i := 0; i < burst-slots-queue; i++ {
		err := <-errs
		wantCode(t, err, iam.CodeUnavailable)
		if iam.RetryAfter(err) != users.HashBusyRetryAfter {
			t.Fatalf("retry after = %v, want %v", iam.RetryAfter(err), users.HashBusyRetryAfter)
		}
		if errors.Is(err, users.ErrUnknownUser) {
			t.Fatal("a turned-away login is reported as a failed login")
		}
	}
	open()
	for i := 0; i < slots+queue; i++ {
		if err := <-errs; !errors.Is(err, users.ErrUnknownUser) {
			t.Fatalf("admitted login: err = %v, want the unknown-user failure", err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.peak > slots {
		t.Fatalf("%d hashes ran at once, bound is %d", h.peak, slots)
	}
	// Each admitted login verified once; the others never reached the hasher.
	if h.calls != slots+queue {
		t.Fatalf("hasher called %d times, want %d", h.calls, slots+queue)
	}
}

// TestEveryHashingPathHoldsASlot holds the only slot (a login waiting in
// the hasher) and checks that each operation that hashes is turned away with
// CodeUnavailable and a retry hint instead of hashing beside it.
func TestEveryHashingPathHoldsASlot(t *testing.T) {
	h := &gatedHasher{}
	e := newEnv(t, users.WithHasher(h), users.WithHashLimit(1, 0))
	alice := e.alice(t, "alice-pw-1")
	tests := []struct {
		name string
		call func() error
	}{
		{"AuthenticateKnownUser", func() error {
			_, err := e.svc.Authenticate(bg(), "acme", "alice", "alice-pw-1")
			return err
		}},
		{"AuthenticateUnknownUser", func() error {
			_, err := e.svc.Authenticate(bg(), "acme", "nobody", "x")
			return err
		}},
		{"SetPassword", func() error { return e.svc.SetPassword(bg(), "acme", alice.ID, "alice-pw-2", false) }},
		{"ChangePassword", func() error { return e.svc.ChangePassword(bg(), "acme", alice.ID, "alice-pw-1", "alice-pw-3") }},
		{"CreateWithPassword", func() error {
			_, err := e.svc.Create(bg(), "acme", users.User{Username: "bob", Enabled: true}, users.NewCredential{Value: "bob-pw"})
			return err
		}},
		{"Import", func() error {
			_, err := e.svc.Import(bg(), "acme", users.ImportFail, []users.ImportUser{{User: users.User{Username: "carol"},
				Credentials: []users.NewCredential{{Value: "carol-pw"}}}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := h.closeGate()
			held := make(chan error, 1)
			go func() {
				_, err := e.svc.Authenticate(bg(), "acme", "alice", "wrong")
				held <- err
			}()
			for h.Running() != 1 {
				runtime.Gosched()
			}
			err := tt.call()
			open()
			if herr := <-held; !errors.Is(herr, users.ErrBadCredentials) {
				t.Fatalf("the login holding the slot: %v", herr)
			}
			wantCode(t, err, iam.CodeUnavailable)
			if iam.RetryAfter(err) != users.HashBusyRetryAfter {
				t.Fatalf("no retry hint: %v", err)
			}
		})
	}
	t.Run("WithAFreeSlotTheyWork", func(t *testing.T) {
		if _, err := e.svc.Authenticate(bg(), "acme", "alice", "alice-pw-1"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ChangePassword(bg(), "acme", alice.ID, "alice-pw-1", "alice-pw-3"); err != nil {
			t.Fatal(err)
		}
	})
}
