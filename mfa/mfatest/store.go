package mfatest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

// StoreHarness is one fresh, empty mfa.Store under test.
type StoreHarness struct {
	Store mfa.Store
	// OnceIsAtomic says that Once rolls back fn's writes when fn fails
	// (true for PostgreSQL; the memory store cannot).
	OnceIsAtomic bool
}

// RunStore runs the Store conformance suite; newHarness must return an
// empty store each time it is called.
func RunStore(t *testing.T, newHarness func(t *testing.T) StoreHarness) {
	t.Helper()
	run(t, newHarness, []namedCase[StoreHarness]{
		{"CreateThenGetReturnsEveryField", testCreateGet},
		{"DuplicateIDIsConflict", testDuplicateID},
		{"UsersAreIsolated", testUserIsolation},
		{"RealmsAreIsolated", testRealmIsolation},
		{"ListIsOldestFirst", testList},
		{"OneSetOfRecoveryCodesPerUser", testOneRecoverySet},
		{"ConcurrentCreatesOfRecoveryCodesOneWins", testConcurrentRecoverySets},
		{"UpdateAppliesChangeAndKeepsIdentity", testUpdate},
		{"UpdateErrorChangesNothing", testUpdateError},
		{"UpdateMissingIsNotFound", testUpdateMissing},
		{"ConcurrentUpdatesDoNotLoseChanges", testConcurrentUpdates},
		{"ConcurrentUsesOfOneCodeOneWins", testConcurrentUseOfOneCode},
		{"DeleteRemoves", testDelete},
		{"DeleteUserRemovesOnlyThatUser", testDeleteUser},
		{"DeleteRealmRemovesOnlyThatRealm", testDeleteRealm},
		{"OnceRunsOncePerEvent", testOnce},
		{"ValuesAreCopied", testCopies},
	})
}

var base = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

// totpFactor returns a confirmed authenticator of user with every field set.
func totpFactor(realm iam.Realm, user string) mfa.Factor {
	return mfa.Factor{ID: iam.NewID(), Realm: realm, UserID: user, Type: mfa.TypeTOTP, Label: "Phone ✓",
		CreatedAt: base, ConfirmedAt: base.Add(time.Minute), Secret: []byte("12345678901234567890"),
		Algorithm: "HmacSHA256", Digits: 8, Period: 45 * time.Second}
}

// recoveryFactor returns a set of n recovery code hashes of user.
func recoveryFactor(realm iam.Realm, user string, n int) mfa.Factor {
	f := mfa.Factor{ID: iam.NewID(), Realm: realm, UserID: user, Type: mfa.TypeRecoveryCodes, Label: "Recovery codes",
		CreatedAt: base.Add(time.Hour), ConfirmedAt: base.Add(time.Hour)}
	for i := range n {
		f.CodeHashes = append(f.CodeHashes, bytes.Repeat([]byte{byte(i + 1)}, 32))
	}
	return f
}

func mustCreate(t *testing.T, s mfa.Store, f mfa.Factor) mfa.Factor {
	t.Helper()
	if err := s.Create(ctx(t), f); err != nil {
		t.Fatalf("Create(%s/%s/%s): %v", f.Realm, f.UserID, f.Type, err)
	}
	return f
}

// normalize makes nil and empty alike and compares instants.
func normalize(f mfa.Factor) mfa.Factor {
	if len(f.Secret) == 0 {
		f.Secret = nil
	}
	if len(f.CodeHashes) == 0 {
		f.CodeHashes = nil
	}
	f.CreatedAt = f.CreatedAt.UTC()
	if !f.ConfirmedAt.IsZero() {
		f.ConfirmedAt = f.ConfirmedAt.UTC()
	}
	return f
}

func equal(t *testing.T, got, want mfa.Factor) {
	t.Helper()
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("factor differs\n got: %+v\nwant: %+v", normalize(got), normalize(want))
	}
}

func testCreateGet(t *testing.T, h StoreHarness) {
	for _, want := range []mfa.Factor{totpFactor("acme", "u1"), recoveryFactor("acme", "u1", 10)} {
		mustCreate(t, h.Store, want)
		got, err := h.Store.Get(ctx(t), "acme", "u1", want.ID)
		must(t, err)
		equal(t, got, want)
	}
	pending := totpFactor("acme", "u1")
	pending.ConfirmedAt = time.Time{}
	mustCreate(t, h.Store, pending)
	got, err := h.Store.Get(ctx(t), "acme", "u1", pending.ID)
	must(t, err)
	if got.Confirmed() {
		t.Fatalf("a pending enrolment reads back confirmed: %+v", got)
	}
	_, err = h.Store.Get(ctx(t), "acme", "u1", iam.NewID())
	wantCode(t, err, iam.CodeNotFound)
}

func testDuplicateID(t *testing.T, h StoreHarness) {
	f := mustCreate(t, h.Store, totpFactor("acme", "u1"))
	dup := totpFactor("acme", "u2")
	dup.ID = f.ID
	err := h.Store.Create(ctx(t), dup)
	wantCode(t, err, iam.CodeConflict)
	if iam.ErrorField(err) != "id" {
		t.Fatalf("conflict names %q, want id", iam.ErrorField(err))
	}
}

func testUserIsolation(t *testing.T, h StoreHarness) {
	f := mustCreate(t, h.Store, totpFactor("acme", "u1"))
	_, err := h.Store.Get(ctx(t), "acme", "u2", f.ID)
	wantCode(t, err, iam.CodeNotFound)
	_, err = h.Store.Update(ctx(t), "acme", "u2", f.ID, func(f *mfa.Factor) error { f.Label = "hijacked"; return nil })
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, h.Store.Delete(ctx(t), "acme", "u2", f.ID), iam.CodeNotFound)
	if list, err := h.Store.List(ctx(t), "acme", "u2"); err != nil || len(list) != 0 {
		t.Fatalf("u2 lists %+v, %v", list, err)
	}
	got, err := h.Store.Get(ctx(t), "acme", "u1", f.ID)
	must(t, err)
	equal(t, got, f)
}

func testRealmIsolation(t *testing.T, h StoreHarness) {
	f := mustCreate(t, h.Store, totpFactor("acme", "u1"))
	_, err := h.Store.Get(ctx(t), "beta", "u1", f.ID)
	wantCode(t, err, iam.CodeNotFound)
	_, err = h.Store.Update(ctx(t), "beta", "u1", f.ID, func(f *mfa.Factor) error { f.Label = "hijacked"; return nil })
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, h.Store.Delete(ctx(t), "beta", "u1", f.ID), iam.CodeNotFound)
	if list, err := h.Store.List(ctx(t), "beta", "u1"); err != nil || len(list) != 0 {
		t.Fatalf("beta lists acme's factors: %+v, %v", list, err)
	}
	if n, err := h.Store.DeleteUser(ctx(t), "beta", "u1"); err != nil || n != 0 {
		t.Fatalf("DeleteUser(beta) = %d, %v", n, err)
	}
	// The same id in another realm is another factor.
	other := totpFactor("beta", "u1")
	other.ID = f.ID
	mustCreate(t, h.Store, other)
	got, err := h.Store.Get(ctx(t), "acme", "u1", f.ID)
	must(t, err)
	equal(t, got, f)
}

func testList(t *testing.T, h StoreHarness) {
	if list, err := h.Store.List(ctx(t), "acme", "u1"); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("List of a user without factors = %#v, %v; want an empty list", list, err)
	}
	late := totpFactor("acme", "u1")
	late.CreatedAt = base.Add(2 * time.Hour)
	mustCreate(t, h.Store, late)
	codes := mustCreate(t, h.Store, recoveryFactor("acme", "u1", 3)) // base + 1h
	early := mustCreate(t, h.Store, totpFactor("acme", "u1"))        // base
	mustCreate(t, h.Store, totpFactor("acme", "u2"))
	list, err := h.Store.List(ctx(t), "acme", "u1")
	must(t, err)
	if len(list) != 3 || list[0].ID != early.ID || list[1].ID != codes.ID || list[2].ID != late.ID {
		t.Fatalf("List = %+v, want oldest first", list)
	}
	equal(t, list[1], codes)
}

func testOneRecoverySet(t *testing.T, h StoreHarness) {
	mustCreate(t, h.Store, recoveryFactor("acme", "u1", 10))
	err := h.Store.Create(ctx(t), recoveryFactor("acme", "u1", 10))
	wantCode(t, err, iam.CodeConflict)
	if iam.ErrorField(err) != "type" {
		t.Fatalf("conflict names %q, want type", iam.ErrorField(err))
	}
	// Other users and realms have sets of their own; authenticators are
	// not limited by the store.
	mustCreate(t, h.Store, recoveryFactor("acme", "u2", 10))
	mustCreate(t, h.Store, recoveryFactor("beta", "u1", 10))
	mustCreate(t, h.Store, totpFactor("acme", "u1"))
	mustCreate(t, h.Store, totpFactor("acme", "u1"))
}

func testConcurrentRecoverySets(t *testing.T, h StoreHarness) {
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { errs <- h.Store.Create(ctx(t), recoveryFactor("acme", "u1", 10)) })
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch iam.ErrorCode(err) {
		case "":
			ok++
		case iam.CodeConflict:
		default:
			t.Fatalf("concurrent create: %v", err)
		}
	}
	list, _ := h.Store.List(ctx(t), "acme", "u1")
	if ok != 1 || len(list) != 1 {
		t.Fatalf("%d creates succeeded, %d sets stored; want 1", ok, len(list))
	}
}

func testUpdate(t *testing.T, h StoreHarness) {
	mustCreate(t, h.Store, totpFactor("acme", "u1"))
	pending := mustCreate(t, h.Store, mfa.Factor{ID: iam.NewID(), Realm: "acme", UserID: "u1", Type: mfa.TypeTOTP,
		CreatedAt: base, Secret: []byte("s"), Algorithm: "HmacSHA1", Digits: 6, Period: 30 * time.Second})
	at := base.Add(time.Hour)
	got, err := h.Store.Update(ctx(t), "acme", "u1", pending.ID, func(f *mfa.Factor) error {
		f.ConfirmedAt, f.Label = at, "Work phone"
		f.ID, f.Realm, f.UserID, f.Type = "other", "beta", "u2", mfa.TypeRecoveryCodes // ignored
		return nil
	})
	must(t, err)
	want := pending
	want.ConfirmedAt, want.Label = at, "Work phone"
	equal(t, got, want)
	stored, err := h.Store.Get(ctx(t), "acme", "u1", pending.ID)
	must(t, err)
	equal(t, stored, want)
}

func testUpdateError(t *testing.T, h StoreHarness) {
	f := mustCreate(t, h.Store, recoveryFactor("acme", "u1", 3))
	boom := errors.New("boom")
	_, err := h.Store.Update(ctx(t), "acme", "u1", f.ID, func(f *mfa.Factor) error {
		f.CodeHashes = nil
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	got, err := h.Store.Get(ctx(t), "acme", "u1", f.ID)
	must(t, err)
	equal(t, got, f)
}

func testUpdateMissing(t *testing.T, h StoreHarness) {
	called := false
	_, err := h.Store.Update(ctx(t), "acme", "u1", iam.NewID(), func(*mfa.Factor) error { called = true; return nil })
	wantCode(t, err, iam.CodeNotFound)
	if called {
		t.Fatal("fn ran for a missing factor")
	}
}

// removeHash removes the first hash equal to h, or fails with errGone.
func removeHash(f *mfa.Factor, h []byte) error {
	for i, stored := range f.CodeHashes {
		if bytes.Equal(stored, h) {
			f.CodeHashes = append(f.CodeHashes[:i:i], f.CodeHashes[i+1:]...)
			return nil
		}
	}
	return errGone
}

var errGone = errors.New("hash gone")

func testConcurrentUpdates(t *testing.T, h StoreHarness) {
	const n = 10
	f := mustCreate(t, h.Store, recoveryFactor("acme", "u1", n))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, hash := range f.CodeHashes {
		wg.Go(func() {
			_, err := h.Store.Update(ctx(t), "acme", "u1", f.ID, func(f *mfa.Factor) error { return removeHash(f, hash) })
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := h.Store.Get(ctx(t), "acme", "u1", f.ID)
	must(t, err)
	if len(got.CodeHashes) != 0 {
		t.Fatalf("%d hashes left after %d concurrent removals: a change was lost", len(got.CodeHashes), n)
	}
}

func testConcurrentUseOfOneCode(t *testing.T, h StoreHarness) {
	f := mustCreate(t, h.Store, recoveryFactor("acme", "u1", 3))
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := h.Store.Update(ctx(t), "acme", "u1", f.ID, func(g *mfa.Factor) error { return removeHash(g, f.CodeHashes[1]) })
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errGone):
			t.Fatalf("Update = %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("one code was used %d times", ok)
	}
}

func testDelete(t *testing.T, h StoreHarness) {
	f := mustCreate(t, h.Store, totpFactor("acme", "u1"))
	must(t, h.Store.Delete(ctx(t), "acme", "u1", f.ID))
	_, err := h.Store.Get(ctx(t), "acme", "u1", f.ID)
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, h.Store.Delete(ctx(t), "acme", "u1", f.ID), iam.CodeNotFound)
}

func testDeleteUser(t *testing.T, h StoreHarness) {
	mustCreate(t, h.Store, totpFactor("acme", "u1"))
	mustCreate(t, h.Store, recoveryFactor("acme", "u1", 2))
	keep := mustCreate(t, h.Store, totpFactor("acme", "u2"))
	other := mustCreate(t, h.Store, totpFactor("beta", "u1"))
	n, err := h.Store.DeleteUser(ctx(t), "acme", "u1")
	if err != nil || n != 2 {
		t.Fatalf("DeleteUser = %d, %v; want 2", n, err)
	}
	if n, err := h.Store.DeleteUser(ctx(t), "acme", "u1"); err != nil || n != 0 {
		t.Fatalf("DeleteUser again = %d, %v; want 0, nil", n, err)
	}
	if list, _ := h.Store.List(ctx(t), "acme", "u1"); len(list) != 0 {
		t.Fatalf("u1 keeps %+v", list)
	}
	for _, f := range []mfa.Factor{keep, other} {
		if _, err := h.Store.Get(ctx(t), f.Realm, f.UserID, f.ID); err != nil {
			t.Fatalf("%s/%s lost its factor: %v", f.Realm, f.UserID, err)
		}
	}
}

func testDeleteRealm(t *testing.T, h StoreHarness) {
	mustCreate(t, h.Store, totpFactor("acme", "u1"))
	mustCreate(t, h.Store, totpFactor("acme", "u2"))
	other := mustCreate(t, h.Store, totpFactor("beta", "u1"))
	n, err := h.Store.DeleteRealm(ctx(t), "acme")
	if err != nil || n != 2 {
		t.Fatalf("DeleteRealm = %d, %v; want 2", n, err)
	}
	for _, u := range []string{"u1", "u2"} {
		if list, _ := h.Store.List(ctx(t), "acme", u); len(list) != 0 {
			t.Fatalf("acme/%s keeps %+v", u, list)
		}
	}
	if _, err := h.Store.Get(ctx(t), "beta", "u1", other.ID); err != nil {
		t.Fatalf("beta lost its factor: %v", err)
	}
}

func testOnce(t *testing.T, h StoreHarness) {
	id := iam.NewID()
	calls := 0
	fn := func(st mfa.Store) error {
		calls++
		return st.Create(ctx(t), totpFactor("acme", fmt.Sprintf("u%d", calls)))
	}
	must(t, h.Store.Once(ctx(t), mfa.Consumer, id, fn))
	must(t, h.Store.Once(ctx(t), mfa.Consumer, id, fn))
	if calls != 1 {
		t.Fatalf("fn ran %d times for one event", calls)
	}
	// Another consumer, or another event, runs again.
	must(t, h.Store.Once(ctx(t), "other", id, fn))
	if calls != 2 {
		t.Fatalf("fn ran %d times, want 2", calls)
	}
	// A failed fn is not recorded: the redelivery runs it again.
	failing := iam.NewID()
	boom := errors.New("boom")
	err := h.Store.Once(ctx(t), mfa.Consumer, failing, func(st mfa.Store) error {
		must(t, st.Create(ctx(t), totpFactor("acme", "rolled-back")))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Once = %v, want fn's error", err)
	}
	if h.OnceIsAtomic {
		if list, _ := h.Store.List(ctx(t), "acme", "rolled-back"); len(list) != 0 {
			t.Fatalf("a failed Once kept its writes: %+v", list)
		}
	}
	ran := false
	must(t, h.Store.Once(ctx(t), mfa.Consumer, failing, func(mfa.Store) error { ran = true; return nil }))
	if !ran {
		t.Fatal("a failed event was recorded as handled")
	}
}

func testCopies(t *testing.T, h StoreHarness) {
	f := recoveryFactor("acme", "u1", 2)
	f.Secret = []byte("secret")
	want := f.Clone()
	mustCreate(t, h.Store, f)
	f.CodeHashes[0][0] ^= 0xff
	f.Secret[0] = 'X'
	got, err := h.Store.Get(ctx(t), "acme", "u1", f.ID)
	must(t, err)
	equal(t, got, want)
	got.CodeHashes[1][0] ^= 0xff
	got.Secret[0] = 'Y'
	again, err := h.Store.Get(ctx(t), "acme", "u1", f.ID)
	must(t, err)
	equal(t, again, want)
}
