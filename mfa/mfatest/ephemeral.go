package mfatest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

// EphemeralHarness is one fresh, empty mfa.EphemeralStore under test.
type EphemeralHarness struct {
	State mfa.EphemeralStore
}

// RunEphemeral runs the EphemeralStore conformance suite; newHarness must
// return an empty store each time it is called. Expiry cases use TTLs of a
// fraction of a second and wait for them.
func RunEphemeral(t *testing.T, newHarness func(t *testing.T) EphemeralHarness) {
	t.Helper()
	run(t, newHarness, []namedCase[EphemeralHarness]{
		{"UseStepRefusesReplaysAndOlderSteps", testUseStep},
		{"ConcurrentUsesOfOneStepOneWins", testConcurrentUseStep},
		{"StepsOfFactorsAndRealmsAreIndependent", testStepIsolation},
		{"UsedStepsExpire", testStepExpiry},
		{"ChallengeAttemptsAreCounted", testChallengeAttempts},
		{"AttemptWithoutChallengeIsNotFound", testNoChallenge},
		{"SaveChallengeReplacesTheEarlierOne", testChallengeReplaced},
		{"ConcurrentDeletesOfOneChallengeOneWins", testConcurrentChallengeDelete},
		{"ChallengesExpire", testChallengeExpiry},
		{"SendsAreCountedPerWindow", testCountSend},
		{"FailuresAreCountedAndReset", testFailures},
		{"ForgetUserRemovesOnlyThatUser", testForgetUser},
		{"RealmsAreIsolated", testEphemeralRealms},
		{"TTLMustBePositive", testTTL},
	})
}

func testUseStep(t *testing.T, h EphemeralHarness) {
	use := func(step int64) bool {
		t.Helper()
		ok, err := h.State.UseStep(ctx(t), "acme", "f1", step, time.Minute)
		must(t, err)
		return ok
	}
	if !use(100) {
		t.Fatal("first use of step 100 refused")
	}
	if use(100) {
		t.Fatal("step 100 accepted twice: a replay")
	}
	if use(99) {
		t.Fatal("step 99 accepted after step 100")
	}
	if !use(102) {
		t.Fatal("step 102 refused after 100")
	}
	if use(101) {
		t.Fatal("step 101 accepted after 102")
	}
}

func testConcurrentUseStep(t *testing.T, h EphemeralHarness) {
	const n = 10
	var wg sync.WaitGroup
	results := make(chan bool, n)
	for range n {
		wg.Go(func() {
			ok, err := h.State.UseStep(ctx(t), "acme", "f1", 7, time.Minute)
			if err != nil {
				t.Error(err)
			}
			results <- ok
		})
	}
	wg.Wait()
	close(results)
	accepted := 0
	for ok := range results {
		if ok {
			accepted++
		}
	}
	if accepted != 1 {
		t.Fatalf("one step accepted %d times", accepted)
	}
}

func testStepIsolation(t *testing.T, h EphemeralHarness) {
	for _, c := range []struct {
		realm  iam.Realm
		factor string
	}{{"acme", "f1"}, {"acme", "f2"}, {"beta", "f1"}} {
		ok, err := h.State.UseStep(ctx(t), c.realm, c.factor, 5, time.Minute)
		if err != nil || !ok {
			t.Fatalf("UseStep(%s, %s) = %v, %v; want each factor's first use accepted", c.realm, c.factor, ok, err)
		}
	}
}

func testStepExpiry(t *testing.T, h EphemeralHarness) {
	ok, err := h.State.UseStep(ctx(t), "acme", "f1", 5, 100*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("UseStep = %v, %v", ok, err)
	}
	eventually(t, "the used step to expire", func() bool {
		ok, err := h.State.UseStep(ctx(t), "acme", "f1", 5, 100*time.Millisecond)
		must(t, err)
		return ok
	})
}

func challenge(realm iam.Realm, user string) mfa.Challenge {
	id := iam.NewID()
	return mfa.Challenge{Realm: realm, UserID: user, ID: id, Hash: mfa.ChallengeHash(id, "123456"),
		ExpiresAt: base.Add(5 * time.Minute)}
}

func testChallengeAttempts(t *testing.T, h EphemeralHarness) {
	c := challenge("acme", "u1")
	must(t, h.State.SaveChallenge(ctx(t), c, time.Minute))
	for want := 1; want <= 3; want++ {
		got, err := h.State.AttemptChallenge(ctx(t), "acme", "u1")
		must(t, err)
		if got.Attempts != want || got.ID != c.ID || !bytes.Equal(got.Hash, c.Hash) || !got.ExpiresAt.Equal(c.ExpiresAt) ||
			got.Realm != "acme" || got.UserID != "u1" {
			t.Fatalf("attempt %d = %+v, want %+v with %d attempts", want, got, c, want)
		}
	}
	ok, err := h.State.DeleteChallenge(ctx(t), "acme", "u1", c.ID)
	if err != nil || !ok {
		t.Fatalf("DeleteChallenge = %v, %v", ok, err)
	}
	_, err = h.State.AttemptChallenge(ctx(t), "acme", "u1")
	wantCode(t, err, iam.CodeNotFound)
}

func testNoChallenge(t *testing.T, h EphemeralHarness) {
	_, err := h.State.AttemptChallenge(ctx(t), "acme", "u1")
	wantCode(t, err, iam.CodeNotFound)
	if ok, err := h.State.DeleteChallenge(ctx(t), "acme", "u1", iam.NewID()); err != nil || ok {
		t.Fatalf("DeleteChallenge of none = %v, %v", ok, err)
	}
}

func testChallengeReplaced(t *testing.T, h EphemeralHarness) {
	old := challenge("acme", "u1")
	must(t, h.State.SaveChallenge(ctx(t), old, time.Minute))
	if _, err := h.State.AttemptChallenge(ctx(t), "acme", "u1"); err != nil {
		t.Fatal(err)
	}
	next := challenge("acme", "u1")
	must(t, h.State.SaveChallenge(ctx(t), next, time.Minute))
	if ok, err := h.State.DeleteChallenge(ctx(t), "acme", "u1", old.ID); err != nil || ok {
		t.Fatalf("deleting the replaced challenge = %v, %v; want false", ok, err)
	}
	got, err := h.State.AttemptChallenge(ctx(t), "acme", "u1")
	must(t, err)
	if got.ID != next.ID || got.Attempts != 1 {
		t.Fatalf("challenge = %+v, want the new one with its own count", got)
	}
}

func testConcurrentChallengeDelete(t *testing.T, h EphemeralHarness) {
	c := challenge("acme", "u1")
	must(t, h.State.SaveChallenge(ctx(t), c, time.Minute))
	const n = 10
	var wg sync.WaitGroup
	results := make(chan bool, n)
	for range n {
		wg.Go(func() {
			ok, err := h.State.DeleteChallenge(ctx(t), "acme", "u1", c.ID)
			if err != nil {
				t.Error(err)
			}
			results <- ok
		})
	}
	wg.Wait()
	close(results)
	deleted := 0
	for ok := range results {
		if ok {
			deleted++
		}
	}
	if deleted != 1 {
		t.Fatalf("one challenge consumed %d times", deleted)
	}
}

func testChallengeExpiry(t *testing.T, h EphemeralHarness) {
	must(t, h.State.SaveChallenge(ctx(t), challenge("acme", "u1"), 100*time.Millisecond))
	eventually(t, "the challenge to expire", func() bool {
		_, err := h.State.AttemptChallenge(ctx(t), "acme", "u1")
		return iam.ErrorCode(err) == iam.CodeNotFound
	})
}

func testCountSend(t *testing.T, h EphemeralHarness) {
	const window = 300 * time.Millisecond
	for want := 1; want <= 3; want++ {
		n, left, err := h.State.CountSend(ctx(t), "acme", "u1", window)
		must(t, err)
		if n != want || left <= 0 || left > window {
			t.Fatalf("send %d: count %d, window ends in %v", want, n, left)
		}
	}
	if n, _, err := h.State.CountSend(ctx(t), "acme", "u2", window); err != nil || n != 1 {
		t.Fatalf("another user's first send = %d, %v", n, err)
	}
	eventually(t, "a new window", func() bool {
		n, _, err := h.State.CountSend(ctx(t), "acme", "u1", window)
		must(t, err)
		return n == 1
	})
}

func testFailures(t *testing.T, h EphemeralHarness) {
	if f, err := h.State.Failures(ctx(t), "acme", "u1"); err != nil || f != (mfa.Failures{}) {
		t.Fatalf("Failures of none = %+v, %v", f, err)
	}
	const reset = time.Hour
	var last mfa.Failures
	for i := range 3 {
		at := base.Add(time.Duration(i) * time.Minute)
		f, err := h.State.RecordFailure(ctx(t), "acme", "u1", at, reset, time.Minute)
		must(t, err)
		if f.Count != i+1 || !f.Last.Equal(at) {
			t.Fatalf("failure %d = %+v", i+1, f)
		}
		last = f
	}
	got, err := h.State.Failures(ctx(t), "acme", "u1")
	must(t, err)
	if got.Count != 3 || !got.Last.Equal(last.Last) {
		t.Fatalf("Failures = %+v, want %+v", got, last)
	}
	// A failure more than reset after the last starts a new count.
	at := last.Last.Add(reset + time.Second)
	if f, err := h.State.RecordFailure(ctx(t), "acme", "u1", at, reset, time.Minute); err != nil || f.Count != 1 || !f.Last.Equal(at) {
		t.Fatalf("failure after the reset = %+v, %v; want a count of 1", f, err)
	}
	must(t, h.State.ClearFailures(ctx(t), "acme", "u1"))
	if f, err := h.State.Failures(ctx(t), "acme", "u1"); err != nil || f.Count != 0 {
		t.Fatalf("after ClearFailures: %+v, %v", f, err)
	}
}

func testForgetUser(t *testing.T, h EphemeralHarness) {
	for _, u := range []string{"u1", "u2"} {
		must(t, h.State.SaveChallenge(ctx(t), challenge("acme", u), time.Minute))
		if _, err := h.State.RecordFailure(ctx(t), "acme", u, base, time.Hour, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.State.CountSend(ctx(t), "acme", u, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	must(t, h.State.ForgetUser(ctx(t), "acme", "u1"))
	_, err := h.State.AttemptChallenge(ctx(t), "acme", "u1")
	wantCode(t, err, iam.CodeNotFound)
	if f, _ := h.State.Failures(ctx(t), "acme", "u1"); f.Count != 0 {
		t.Fatalf("u1's failures survive: %+v", f)
	}
	if n, _, _ := h.State.CountSend(ctx(t), "acme", "u1", time.Minute); n != 1 {
		t.Fatalf("u1's send count survives: %d", n)
	}
	if _, err := h.State.AttemptChallenge(ctx(t), "acme", "u2"); err != nil {
		t.Fatalf("u2's challenge is gone: %v", err)
	}
	if f, _ := h.State.Failures(ctx(t), "acme", "u2"); f.Count != 1 {
		t.Fatalf("u2's failures = %+v", f)
	}
}

func testEphemeralRealms(t *testing.T, h EphemeralHarness) {
	must(t, h.State.SaveChallenge(ctx(t), challenge("acme", "u1"), time.Minute))
	if _, err := h.State.RecordFailure(ctx(t), "acme", "u1", base, time.Hour, time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := h.State.AttemptChallenge(ctx(t), "beta", "u1")
	wantCode(t, err, iam.CodeNotFound)
	if f, _ := h.State.Failures(ctx(t), "beta", "u1"); f.Count != 0 {
		t.Fatalf("beta sees acme's failures: %+v", f)
	}
	must(t, h.State.ForgetUser(ctx(t), "beta", "u1"))
	if _, err := h.State.AttemptChallenge(ctx(t), "acme", "u1"); err != nil {
		t.Fatalf("forgetting beta's u1 took acme's challenge: %v", err)
	}
}

func testTTL(t *testing.T, h EphemeralHarness) {
	_, err := h.State.UseStep(ctx(t), "acme", "f1", 1, 0)
	wantCode(t, err, iam.CodeInvalid)
	wantCode(t, h.State.SaveChallenge(ctx(t), challenge("acme", "u1"), -time.Second), iam.CodeInvalid)
	_, _, err = h.State.CountSend(ctx(t), "acme", "u1", 0)
	wantCode(t, err, iam.CodeInvalid)
	_, err = h.State.RecordFailure(ctx(t), "acme", "u1", base, time.Hour, 0)
	wantCode(t, err, iam.CodeInvalid)
}
