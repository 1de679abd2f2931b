package notifytest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
)

// worker is the owner of the suite's claims when the owner does not
// matter.
const worker = "notify-1"

// claimOne records d and has owner claim it at now, failing unless the
// claim returns d alone.
func claimOne(t *testing.T, s notify.Store, owner string, now time.Time, lease time.Duration, d notify.Delivery) notify.Delivery {
	t.Helper()
	mustEnqueue(t, s, d)
	got, err := s.Claim(ctx(t), owner, now, lease, 10)
	if err != nil || len(got) != 1 || got[0].ID != d.ID {
		t.Fatalf("Claim by %q = %v, %v; want %s alone", owner, ids(got), err, d.ID)
	}
	return got[0]
}

func release(t *testing.T, s notify.Store, owner string, now time.Time, want int) {
	t.Helper()
	if n, err := s.ReleaseClaims(ctx(t), owner, now); err != nil || n != want {
		t.Fatalf("ReleaseClaims(%q) = %d, %v; want %d", owner, n, err, want)
	}
}

func wantNextAttempt(t *testing.T, s notify.Store, d notify.Delivery, attempts int, next time.Time) {
	t.Helper()
	if got := get(t, s, d); got.Attempts != attempts || !got.NextAttemptAt.Equal(next) {
		t.Fatalf("%s: attempts %d, next attempt %s; want %d, %s", d.ID, got.Attempts, got.NextAttemptAt, attempts, next)
	}
}

// testReleaseClaims: a worker starting under a dead worker's name takes
// back the deliveries it had claimed, of every realm, at once.
func testReleaseClaims(t *testing.T, h Harness) {
	var mine []string
	for _, realm := range []iam.Realm{"acme", "beta"} {
		mine = append(mine, mustEnqueue(t, h.Store, delivery(realm, notify.KindWelcome)).ID)
	}
	slices.Sort(mine)
	got, err := h.Store.Claim(ctx(t), "notify-0", base, 3*time.Minute, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("Claim = %v, %v; want both deliveries", ids(got), err)
	}
	restart := base.Add(time.Second)
	if again, _ := h.Store.Claim(ctx(t), worker, restart, time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed within the lease: %v", ids(again))
	}
	release(t, h.Store, "notify-0", restart, 2)
	for _, d := range got {
		wantNextAttempt(t, h.Store, d, 1, restart) // the interrupted attempt counts
	}
	got, err = h.Store.Claim(ctx(t), worker, restart, time.Minute, 10)
	if gotIDs := slices.Sorted(slices.Values(ids(got))); err != nil || !slices.Equal(gotIDs, mine) {
		t.Fatalf("Claim after the release = %v, %v; want %v", gotIDs, err, mine)
	}
	for _, d := range got {
		if d.Attempts != 2 {
			t.Fatalf("claimed %s with %d attempts, want 2", d.ID, d.Attempts)
		}
	}
	// Released once: the claims are worker's now.
	release(t, h.Store, "notify-0", restart.Add(time.Second), 0)
}

// testReleaseOnlyLiveClaims: only the owner's claims that no Update or
// later Claim has ended and whose lease has not passed are released.
func testReleaseOnlyLiveClaims(t *testing.T, h Harness) {
	later := base.Add(time.Minute)
	// Its lease passed and another worker claimed it.
	taken := claimOne(t, h.Store, "notify-0", base, time.Minute, delivery("acme", notify.KindWelcome))
	if got, _ := h.Store.Claim(ctx(t), "notify-2", later, time.Hour, 10); !slices.Equal(ids(got), []string{taken.ID}) {
		t.Fatalf("Claim after the lease = %v, want %s", ids(got), taken.ID)
	}
	sent := claimOne(t, h.Store, "notify-0", base, time.Hour, delivery("acme", notify.KindWelcome))
	settle(t, h.Store, sent, func(x *notify.Delivery) { x.Status = notify.StatusSent })
	retried := claimOne(t, h.Store, "notify-0", base, time.Hour, delivery("beta", notify.KindWelcome))
	settle(t, h.Store, retried, func(x *notify.Delivery) { x.NextAttemptAt = base.Add(10 * time.Minute) })
	expired := claimOne(t, h.Store, "notify-0", base, 30*time.Second, delivery("acme", notify.KindWelcome))
	unnamed := claimOne(t, h.Store, "", base, time.Hour, delivery("acme", notify.KindWelcome))
	other := claimOne(t, h.Store, "notify-1", base, time.Hour, delivery("beta", notify.KindWelcome))
	live := claimOne(t, h.Store, "notify-0", base, time.Hour, delivery("beta", notify.KindWelcome))

	release(t, h.Store, "notify-0", later, 1)
	wantNextAttempt(t, h.Store, live, 1, later)
	wantNextAttempt(t, h.Store, taken, 2, later.Add(time.Hour))
	wantNextAttempt(t, h.Store, retried, 1, base.Add(10*time.Minute))
	wantNextAttempt(t, h.Store, expired, 1, base.Add(30*time.Second))
	wantNextAttempt(t, h.Store, unnamed, 1, base.Add(time.Hour))
	wantNextAttempt(t, h.Store, other, 1, base.Add(time.Hour))
	if got := get(t, h.Store, sent); got.Status != notify.StatusSent {
		t.Fatalf("the sent delivery is %s after the release", got.Status)
	}
	release(t, h.Store, "notify-2", later, 1) // taken is notify-2's
	release(t, h.Store, "notify-1", later, 1)
}

func settle(t *testing.T, s notify.Store, d notify.Delivery, fn func(*notify.Delivery)) {
	t.Helper()
	if _, err := s.Update(ctx(t), d.Realm, d.ID, func(x *notify.Delivery) error { fn(x); return nil }); err != nil {
		t.Fatal(err)
	}
}

func testReleaseNeedsAnOwner(t *testing.T, h Harness) {
	claimOne(t, h.Store, "", base, time.Hour, delivery("acme", notify.KindWelcome))
	_, err := h.Store.ReleaseClaims(ctx(t), "", base.Add(time.Second))
	wantCode(t, err, iam.CodeInvalid)
	if e := new(iam.Error); !errors.As(err, &e) || e.Field != "owner" {
		t.Fatalf("err = %#v, want field owner", err)
	}
	if got, _ := h.Store.Claim(ctx(t), worker, base.Add(time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("an unowned claim was released: %v", ids(got))
	}
}
