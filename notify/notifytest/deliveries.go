package notifytest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
)

func testEnqueueGet(t *testing.T, h Harness) {
	want := mustEnqueue(t, h.Store, delivery("acme", notify.KindExecuteActions))
	equal(t, get(t, h.Store, want), want)
	sent := delivery("acme", notify.KindWelcome)
	sent.Status, sent.Attempts, sent.LastError, sent.NextAttemptAt, sent.SentAt = notify.StatusSent, 2, "450 busy", time.Time{}, base.Add(time.Second)
	sent.SealedLink, sent.Data = nil, notify.Data{}
	equal(t, get(t, h.Store, mustEnqueue(t, h.Store, sent)), sent)
	_, err := h.Store.Get(ctx(t), "acme", iam.NewID())
	wantCode(t, err, iam.CodeNotFound)
}

func testOnePerEventAndKind(t *testing.T, h Harness) {
	first := mustEnqueue(t, h.Store, delivery("acme", notify.KindVerifyEmail))
	again := delivery("acme", notify.KindVerifyEmail)
	again.EventID = first.EventID
	got, created, err := h.Store.Enqueue(ctx(t), again)
	if err != nil || created || got.ID != first.ID {
		t.Fatalf("second Enqueue of the event = %s, created %v, %v; want the first delivery", got.ID, created, err)
	}
	other := delivery("acme", notify.KindWelcome)
	other.EventID = first.EventID
	mustEnqueue(t, h.Store, other) // another kind of the same event is another mail
	if list, _ := h.Store.List(ctx(t), "acme", notify.Filter{}); len(list) != 2 {
		t.Fatalf("%d deliveries, want 2", len(list))
	}
}

func testConcurrentEnqueue(t *testing.T, h Harness) {
	const n = 10
	event := iam.NewID()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	created := make(chan bool, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := delivery("acme", notify.KindPasswordReset)
			d.EventID = event
			_, c, err := h.Store.Enqueue(ctx(t), d)
			errs <- err
			created <- c
		}()
	}
	wg.Wait()
	close(errs)
	close(created)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Enqueue: %v", err)
		}
	}
	wins := 0
	for c := range created {
		if c {
			wins++
		}
	}
	if list, _ := h.Store.List(ctx(t), "acme", notify.Filter{}); wins != 1 || len(list) != 1 {
		t.Fatalf("%d of %d concurrent Enqueues created, %d stored; want 1", wins, n, len(list))
	}
}

func testRealmIsolation(t *testing.T, h Harness) {
	d := mustEnqueue(t, h.Store, delivery("acme", notify.KindWelcome))
	_, err := h.Store.Get(ctx(t), "beta", d.ID)
	wantCode(t, err, iam.CodeNotFound)
	_, err = h.Store.Update(ctx(t), "beta", d.ID, func(x *notify.Delivery) error {
		x.To = "mallory@example.com"
		return nil
	})
	wantCode(t, err, iam.CodeNotFound)
	if list, _ := h.Store.List(ctx(t), "beta", notify.Filter{}); len(list) != 0 {
		t.Fatalf("beta lists acme's deliveries: %v", ids(list))
	}
	// The same event in another realm is another delivery.
	b := delivery("beta", notify.KindWelcome)
	b.EventID = d.EventID
	mustEnqueue(t, h.Store, b)
	putTemplate(t, h.Store, "acme", notify.KindWelcome, "en")
	_, err = h.Store.GetTemplate(ctx(t), "beta", notify.KindWelcome, "en")
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, h.Store.DeleteTemplate(ctx(t), "beta", notify.KindWelcome, "en"), iam.CodeNotFound)
	if list, _ := h.Store.ListTemplates(ctx(t), "beta"); len(list) != 0 {
		t.Fatalf("beta lists acme's templates: %+v", list)
	}
	equal(t, get(t, h.Store, d), d)
}

func testList(t *testing.T, h Harness) {
	var all []notify.Delivery
	for i, kind := range []notify.Kind{notify.KindWelcome, notify.KindVerifyEmail, notify.KindWelcome, notify.KindLoginAlert} {
		d := delivery("acme", kind)
		d.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		if i%2 == 1 {
			d.Status, d.NextAttemptAt = notify.StatusFailed, time.Time{}
		}
		if i == 3 {
			d.UserID = all[0].UserID
		}
		all = append(all, mustEnqueue(t, h.Store, d))
	}
	newest := []string{all[3].ID, all[2].ID, all[1].ID, all[0].ID}
	for _, tt := range []struct {
		name string
		f    notify.Filter
		want []string
	}{
		{"All", notify.Filter{}, newest},
		{"Paged", notify.Filter{First: 1, Max: 2}, newest[1:3]},
		{"PastTheEnd", notify.Filter{First: 9}, nil},
		{"ByStatus", notify.Filter{Status: notify.StatusFailed}, []string{all[3].ID, all[1].ID}},
		{"ByUser", notify.Filter{UserID: all[0].UserID}, []string{all[3].ID, all[0].ID}},
		{"ByKind", notify.Filter{Kind: notify.KindWelcome}, []string{all[2].ID, all[0].ID}},
		{"ByStatusAndUser", notify.Filter{Status: notify.StatusPending, UserID: all[0].UserID}, []string{all[0].ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Store.List(ctx(t), "acme", tt.f)
			if err != nil || !slices.Equal(ids(got), tt.want) {
				t.Fatalf("List(%+v) = %v, %v; want %v", tt.f, ids(got), err, tt.want)
			}
		})
	}
}

func testUpdate(t *testing.T, h Harness) {
	d := mustEnqueue(t, h.Store, delivery("acme", notify.KindPasswordReset))
	later := base.Add(time.Hour)
	got, err := h.Store.Update(ctx(t), "acme", d.ID, func(x *notify.Delivery) error {
		x.Status, x.SentAt, x.UpdatedAt, x.LastError, x.SealedLink = notify.StatusSent, later, later, "", nil
		x.ID, x.Realm, x.EventID, x.Kind, x.CreatedAt = "other", "beta", "other", notify.KindWelcome, later
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := d
	want.Status, want.SentAt, want.UpdatedAt, want.SealedLink, want.NextAttemptAt = notify.StatusSent, later, later, nil, time.Time{}
	equal(t, got, want)
	equal(t, get(t, h.Store, d), want)
}

func testUpdateError(t *testing.T, h Harness) {
	d := mustEnqueue(t, h.Store, delivery("acme", notify.KindWelcome))
	boom := iam.Errorf(iam.CodeConflict, "no")
	_, err := h.Store.Update(ctx(t), "acme", d.ID, func(x *notify.Delivery) error {
		x.Status = notify.StatusSent
		return boom
	})
	if err != boom {
		t.Fatalf("err = %v, want fn's error as is", err)
	}
	equal(t, get(t, h.Store, d), d)
}

func testUpdateMissing(t *testing.T, h Harness) {
	_, err := h.Store.Update(ctx(t), "acme", iam.NewID(), func(*notify.Delivery) error { return nil })
	wantCode(t, err, iam.CodeNotFound)
}

func testConcurrentUpdates(t *testing.T, h Harness) {
	d := mustEnqueue(t, h.Store, delivery("acme", notify.KindWelcome))
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Store.Update(ctx(t), "acme", d.ID, func(x *notify.Delivery) error {
				x.Attempts++
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := get(t, h.Store, d); got.Attempts != n {
		t.Fatalf("attempts = %d after %d concurrent increments", got.Attempts, n)
	}
}

func testClaim(t *testing.T, h Harness) {
	early := delivery("acme", notify.KindWelcome)
	early.NextAttemptAt = base.Add(-time.Minute)
	early = mustEnqueue(t, h.Store, early)
	now := mustEnqueue(t, h.Store, delivery("beta", notify.KindWelcome))
	got, err := h.Store.Claim(ctx(t), worker, base, time.Minute, 10)
	if err != nil || !slices.Equal(ids(got), []string{early.ID, now.ID}) {
		t.Fatalf("Claim = %v, %v; want both realms' due deliveries, longest due first", ids(got), err)
	}
	for _, c := range got {
		if c.Attempts != 1 || !c.NextAttemptAt.Equal(base.Add(time.Minute)) {
			t.Fatalf("claimed %+v: want one attempt, leased until base+1m", c)
		}
		if stored := get(t, h.Store, c); stored.Attempts != 1 || !stored.NextAttemptAt.Equal(base.Add(time.Minute)) {
			t.Fatalf("stored after the claim: %+v", stored)
		}
	}
	t.Run("AtMostMax", func(t *testing.T) {
		for range 3 {
			mustEnqueue(t, h.Store, delivery("acme", notify.KindWelcome))
		}
		if got, err := h.Store.Claim(ctx(t), worker, base, time.Minute, 2); err != nil || len(got) != 2 {
			t.Fatalf("Claim(max 2) = %d, %v", len(got), err)
		}
	})
}

func testClaimSkips(t *testing.T, h Harness) {
	future := delivery("acme", notify.KindWelcome)
	future.NextAttemptAt = base.Add(time.Hour)
	mustEnqueue(t, h.Store, future)
	failed := delivery("acme", notify.KindWelcome)
	failed.Status, failed.NextAttemptAt = notify.StatusFailed, time.Time{}
	mustEnqueue(t, h.Store, failed)
	settled := mustEnqueue(t, h.Store, delivery("acme", notify.KindWelcome))
	if _, err := h.Store.Update(ctx(t), "acme", settled.ID, func(x *notify.Delivery) error {
		x.Status = notify.StatusSent
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := h.Store.Claim(ctx(t), worker, base, time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("Claim = %v, %v; want nothing due", ids(got), err)
	}
	// A failed delivery made pending again (an administrator's retry) is
	// claimed once due.
	if _, err := h.Store.Update(ctx(t), "acme", failed.ID, func(x *notify.Delivery) error {
		x.Status, x.NextAttemptAt = notify.StatusPending, base
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.Store.Claim(ctx(t), worker, base, time.Minute, 10); !slices.Equal(ids(got), []string{failed.ID}) {
		t.Fatalf("Claim after a retry = %v, want %s", ids(got), failed.ID)
	}
	if got, _ := h.Store.Claim(ctx(t), worker, base.Add(time.Hour), time.Minute, 10); len(got) != 2 {
		t.Fatalf("an hour later Claim = %v, want the future delivery and the leased one", ids(got))
	}
}

func testLease(t *testing.T, h Harness) {
	d := mustEnqueue(t, h.Store, delivery("acme", notify.KindWelcome))
	if got, _ := h.Store.Claim(ctx(t), worker, base, time.Minute, 10); len(got) != 1 {
		t.Fatalf("first claim = %v", ids(got))
	}
	if got, _ := h.Store.Claim(ctx(t), worker, base.Add(30*time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed again within the lease: %v", ids(got))
	}
	got, _ := h.Store.Claim(ctx(t), worker, base.Add(time.Minute), time.Minute, 10)
	if len(got) != 1 || got[0].ID != d.ID || got[0].Attempts != 2 {
		t.Fatalf("after the lease Claim = %+v, want the delivery with a second attempt", got)
	}
}

func testConcurrentClaims(t *testing.T, h Harness) {
	const n = 30
	for i := range n {
		mustEnqueue(t, h.Store, delivery(iam.Realm(fmt.Sprintf("r%d", i%3)), notify.KindWelcome))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := h.Store.Claim(ctx(t), fmt.Sprintf("notify-%d", g), base, time.Minute, 4)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("delivery %s claimed %d times", id, c)
		}
	}
}
