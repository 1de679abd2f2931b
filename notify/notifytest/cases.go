package notifytest

import (
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
)

func testFailures(t *testing.T, h Harness) {
	user := iam.NewID()
	got, err := h.Store.UpdateFailures(ctx(t), "acme", user, func(f *notify.Failures) error {
		if f.Count != 0 || !f.WindowStart.IsZero() || f.Alerted || f.UserID != user || f.Realm != "acme" {
			t.Errorf("a new count is %+v, want zero for acme/%s", *f, user)
		}
		f.WindowStart, f.Count = base, 1
		return nil
	})
	if err != nil || got.Count != 1 || !got.WindowStart.Equal(base) {
		t.Fatalf("UpdateFailures = %+v, %v", got, err)
	}
	got, err = h.Store.UpdateFailures(ctx(t), "acme", user, func(f *notify.Failures) error {
		if f.Count != 1 || !f.WindowStart.Equal(base) {
			t.Errorf("stored count = %+v", *f)
		}
		f.Count, f.Alerted = 2, true
		return nil
	})
	if err != nil || got.Count != 2 || !got.Alerted {
		t.Fatalf("second UpdateFailures = %+v, %v", got, err)
	}
	t.Run("ErrorChangesNothing", func(t *testing.T) {
		boom := iam.Errorf(iam.CodeConflict, "no")
		if _, err := h.Store.UpdateFailures(ctx(t), "acme", user, func(f *notify.Failures) error {
			f.Count = 99
			return boom
		}); err != boom {
			t.Fatalf("err = %v, want fn's", err)
		}
		assertCount(t, h.Store, "acme", user, 2)
	})
	t.Run("RealmsAndUsersAreApart", func(t *testing.T) {
		assertCount(t, h.Store, "beta", user, 0)
		assertCount(t, h.Store, "acme", iam.NewID(), 0)
	})
	t.Run("DeleteForgets", func(t *testing.T) {
		if err := h.Store.DeleteFailures(ctx(t), "beta", user); err != nil {
			t.Fatal(err)
		}
		assertCount(t, h.Store, "acme", user, 2)
		if err := h.Store.DeleteFailures(ctx(t), "acme", user); err != nil {
			t.Fatal(err)
		}
		assertCount(t, h.Store, "acme", user, 0)
	})
}

// assertCount reads a user's count (without changing it) and compares.
func assertCount(t *testing.T, s notify.Store, realm iam.Realm, user string, want int) {
	t.Helper()
	var got int
	if _, err := s.UpdateFailures(ctx(t), realm, user, func(f *notify.Failures) error {
		got = f.Count
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("%s/%s count = %d, want %d", realm, user, got, want)
	}
}

func testConcurrentFailures(t *testing.T, h Harness) {
	user := iam.NewID()
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Store.UpdateFailures(ctx(t), "acme", user, func(f *notify.Failures) error {
				f.Count++
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	assertCount(t, h.Store, "acme", user, n)
}

func putTemplate(t *testing.T, s notify.Store, realm iam.Realm, kind notify.Kind, locale string) notify.Template {
	t.Helper()
	tpl := notify.Template{Realm: realm, Kind: kind, Locale: locale, Subject: "Hi {{.Realm}}",
		HTML: "<p>{{.User.Username}} – é</p>", Text: "{{.User.Username}}", UpdatedAt: base}
	if err := s.PutTemplate(ctx(t), tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

func testTemplates(t *testing.T, h Harness) {
	de := putTemplate(t, h.Store, "acme", notify.KindWelcome, "de")
	en := putTemplate(t, h.Store, "acme", notify.KindWelcome, "en")
	otp := putTemplate(t, h.Store, "acme", notify.KindEmailOTP, "en")
	got, err := h.Store.GetTemplate(ctx(t), "acme", notify.KindWelcome, "de")
	if err != nil || got.Subject != de.Subject || got.HTML != de.HTML || got.Text != de.Text || !got.UpdatedAt.Equal(base) ||
		got.Kind != notify.KindWelcome || got.Locale != "de" || got.Realm != "acme" {
		t.Fatalf("GetTemplate = %+v, %v", got, err)
	}
	_, err = h.Store.GetTemplate(ctx(t), "acme", notify.KindWelcome, "fr")
	wantCode(t, err, iam.CodeNotFound)
	replaced := de
	replaced.Subject, replaced.UpdatedAt = "Hallo", base.Add(time.Hour)
	if err := h.Store.PutTemplate(ctx(t), replaced); err != nil {
		t.Fatal(err)
	}
	list, err := h.Store.ListTemplates(ctx(t), "acme")
	if err != nil || len(list) != 3 {
		t.Fatalf("ListTemplates = %+v, %v", list, err)
	}
	order := []struct {
		kind   notify.Kind
		locale string
	}{{otp.Kind, "en"}, {de.Kind, "de"}, {en.Kind, "en"}}
	for i, o := range order {
		if list[i].Kind != o.kind || list[i].Locale != o.locale {
			t.Fatalf("ListTemplates[%d] = %s/%s, want %s/%s (by kind, then locale)", i, list[i].Kind, list[i].Locale, o.kind, o.locale)
		}
	}
	if list[1].Subject != "Hallo" {
		t.Fatalf("PutTemplate did not replace: %+v", list[1])
	}
	if err := h.Store.DeleteTemplate(ctx(t), "acme", notify.KindWelcome, "de"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, h.Store.DeleteTemplate(ctx(t), "acme", notify.KindWelcome, "de"), iam.CodeNotFound)
}

func testDeleteRealm(t *testing.T, h Harness) {
	for range 3 {
		mustEnqueue(t, h.Store, delivery("acme", notify.KindWelcome))
	}
	keep := mustEnqueue(t, h.Store, delivery("beta", notify.KindWelcome))
	user := iam.NewID()
	for _, realm := range []iam.Realm{"acme", "beta"} {
		putTemplate(t, h.Store, realm, notify.KindWelcome, "en")
		if _, err := h.Store.UpdateFailures(ctx(t), realm, user, func(f *notify.Failures) error { f.Count = 3; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := h.Store.DeleteRealm(ctx(t), "acme"); err != nil || n != 3 {
		t.Fatalf("DeleteRealm = %d, %v; want 3", n, err)
	}
	if list, _ := h.Store.List(ctx(t), "acme", notify.Filter{}); len(list) != 0 {
		t.Fatalf("acme keeps %v", ids(list))
	}
	if list, _ := h.Store.ListTemplates(ctx(t), "acme"); len(list) != 0 {
		t.Fatalf("acme keeps templates %+v", list)
	}
	assertCount(t, h.Store, "acme", user, 0)
	if got, _ := h.Store.Claim(ctx(t), worker, base, time.Minute, 10); len(got) != 1 || got[0].ID != keep.ID {
		t.Fatalf("Claim after DeleteRealm = %v, want beta's only", ids(got))
	}
	equal(t, get(t, h.Store, keep), func() notify.Delivery {
		k := keep
		k.Attempts, k.NextAttemptAt = 1, base.Add(time.Minute)
		return k
	}())
	assertCount(t, h.Store, "beta", user, 3)
	if list, _ := h.Store.ListTemplates(ctx(t), "beta"); len(list) != 1 {
		t.Fatalf("beta's templates = %+v", list)
	}
}

func testOnce(t *testing.T, h Harness) {
	event := iam.NewID()
	runs := 0
	enqueue := func(st notify.Store) error {
		runs++
		d := delivery("acme", notify.KindWelcome)
		_, _, err := st.Enqueue(ctx(t), d)
		return err
	}
	for range 2 {
		if err := h.Store.Once(ctx(t), notify.Consumer, event, enqueue); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Fatalf("fn ran %d times for one event", runs)
	}
	if err := h.Store.Once(ctx(t), "other", event, enqueue); err != nil || runs != 2 {
		t.Fatalf("another consumer: runs %d, %v", runs, err)
	}
	failed := iam.NewID()
	boom := iam.Errorf(iam.CodeUnavailable, "boom")
	user := iam.NewID()
	err := h.Store.Once(ctx(t), notify.Consumer, failed, func(st notify.Store) error {
		if _, err := st.UpdateFailures(ctx(t), "acme", user, func(f *notify.Failures) error { f.Count = 1; return nil }); err != nil {
			return err
		}
		return boom
	})
	if iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("err = %v, want fn's", err)
	}
	if h.OnceIsAtomic {
		assertCount(t, h.Store, "acme", user, 0)
	}
	ran := false
	if err := h.Store.Once(ctx(t), notify.Consumer, failed, func(notify.Store) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("a failed event runs again: ran %v, %v", ran, err)
	}
}

func testCopies(t *testing.T, h Harness) {
	d := delivery("acme", notify.KindExecuteActions)
	stored := mustEnqueue(t, h.Store, d)
	d.Data.Actions[0], d.SealedLink[0] = "CHANGED", 9
	stored.Data.Actions[1], stored.SealedLink[1] = "CHANGED", 9
	got := get(t, h.Store, stored)
	if got.Data.Actions[0] != "UPDATE_PASSWORD" || got.Data.Actions[1] != "VERIFY_EMAIL" || got.SealedLink[0] != 1 || got.SealedLink[1] != 2 {
		t.Fatalf("the store shares memory with its callers: %+v", got)
	}
	got.Data.Actions[0] = "CHANGED"
	if again := get(t, h.Store, stored); again.Data.Actions[0] != "UPDATE_PASSWORD" {
		t.Fatal("Get returns the stored slice")
	}
}

func testPrune(t *testing.T, h Harness) {
	old := func(realm iam.Realm, st notify.Status, age time.Duration) notify.Delivery {
		d := delivery(realm, notify.KindWelcome)
		d.Status, d.CreatedAt = st, base.Add(-age)
		if st != notify.StatusPending {
			d.NextAttemptAt = time.Time{}
		}
		return mustEnqueue(t, h.Store, d)
	}
	oldSent := old("acme", notify.StatusSent, 48*time.Hour)
	oldFailed := old("acme", notify.StatusFailed, 48*time.Hour)
	oldPending := old("acme", notify.StatusPending, 48*time.Hour)
	recent := old("acme", notify.StatusSent, time.Hour)
	otherRealm := old("beta", notify.StatusSent, 48*time.Hour)
	n, err := h.Store.Prune(ctx(t), "acme", base.Add(-24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want the two old settled deliveries", n, err)
	}
	for _, d := range []notify.Delivery{oldSent, oldFailed} {
		_, err := h.Store.Get(ctx(t), "acme", d.ID)
		wantCode(t, err, iam.CodeNotFound)
	}
	for _, d := range []notify.Delivery{oldPending, recent, otherRealm} {
		get(t, h.Store, d)
	}
	// The event of a pruned delivery can be recorded again: it is
	// forgotten, as processed_events forget it after their retention.
	again := delivery("acme", notify.KindWelcome)
	again.EventID = oldSent.EventID
	mustEnqueue(t, h.Store, again)
	if got, _ := h.Store.Claim(ctx(t), worker, base, time.Minute, 10); len(got) != 2 {
		t.Fatalf("Claim after Prune = %v, want the old pending and the new delivery", ids(got))
	}
}
