package notifytest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
)

// Harness is one fresh, empty store under test.
type Harness struct {
	Store notify.Store
	// OnceIsAtomic says that Once rolls back fn's writes when fn fails
	// (true for PostgreSQL; the memory store cannot).
	OnceIsAtomic bool
}

// Run runs the conformance suite; newHarness must return an empty store
// each time it is called.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"EnqueueThenGetReturnsEveryField", testEnqueueGet},
		{"OneDeliveryPerEventAndKind", testOnePerEventAndKind},
		{"ConcurrentEnqueuesOfOneEventOneWins", testConcurrentEnqueue},
		{"RealmsAreIsolated", testRealmIsolation},
		{"ListOrdersNewestFirstFiltersAndPages", testList},
		{"UpdateAppliesChangeAndKeepsIdentity", testUpdate},
		{"UpdateErrorChangesNothing", testUpdateError},
		{"UpdateMissingIsNotFound", testUpdateMissing},
		{"ConcurrentUpdatesDoNotLoseChanges", testConcurrentUpdates},
		{"ClaimTakesDueDeliveriesAndCountsAttempts", testClaim},
		{"ClaimSkipsSettledAndFutureDeliveries", testClaimSkips},
		{"ClaimedAgainOnlyAfterTheLease", testLease},
		{"ConcurrentClaimsNeverShareADelivery", testConcurrentClaims},
		{"ReleaseClaimsMakesADeadOwnersDeliveriesDueAtOnce", testReleaseClaims},
		{"ReleaseClaimsTakesOnlyTheOwnersLiveClaims", testReleaseOnlyLiveClaims},
		{"ReleaseClaimsNeedsAnOwner", testReleaseNeedsAnOwner},
		{"FailuresAreCountedPerUser", testFailures},
		{"ConcurrentFailureUpdatesDoNotLoseCounts", testConcurrentFailures},
		{"TemplatesArePutReadListedAndDeleted", testTemplates},
		{"DeleteRealmRemovesOnlyThatRealm", testDeleteRealm},
		{"PruneRemovesOldSettledDeliveriesOfOneRealm", testPrune},
		{"OnceRunsOncePerEvent", testOnce},
		{"ValuesAreCopied", testCopies},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newHarness(t))
		})
	}
}

// base is a fixed instant at microsecond precision (what PostgreSQL keeps).
var base = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// delivery returns a pending delivery of realm with every field set, due
// at base.
func delivery(realm iam.Realm, kind notify.Kind) notify.Delivery {
	return notify.Delivery{
		ID: iam.NewID(), Realm: realm, EventID: iam.NewID(), Kind: kind, UserID: iam.NewID(),
		To: "alice@example.com", Status: notify.StatusPending, Attempts: 0, LastError: "",
		NextAttemptAt: base, CreatedAt: base, UpdatedAt: base,
		Data: notify.Data{Locale: "de-ch", Username: "alice", FirstName: "Älice", LastName: "Liddell",
			Actions: []string{"UPDATE_PASSWORD", "VERIFY_EMAIL"}, ExpiresAt: base.Add(12 * time.Hour),
			Failures: 5, Window: time.Hour, IPAddress: "192.0.2.1", FailedAt: base.Add(-time.Minute)},
		SealedLink: []byte{1, 2, 3, 0, 255},
	}
}

func mustEnqueue(t *testing.T, s notify.Store, d notify.Delivery) notify.Delivery {
	t.Helper()
	got, created, err := s.Enqueue(ctx(t), d)
	if err != nil || !created {
		t.Fatalf("Enqueue(%s) = created %v, %v", d.ID, created, err)
	}
	return got
}

func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if iam.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	var e *iam.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v is not an *iam.Error", err)
	}
}

// normalize makes nil and empty slices alike and compares instants in UTC.
func normalize(d notify.Delivery) notify.Delivery {
	d = d.Clone()
	if len(d.Data.Actions) == 0 {
		d.Data.Actions = nil
	}
	if len(d.SealedLink) == 0 {
		d.SealedLink = nil
	}
	for _, tm := range []*time.Time{&d.NextAttemptAt, &d.CreatedAt, &d.UpdatedAt, &d.SentAt, &d.Data.ExpiresAt, &d.Data.FailedAt} {
		if tm.IsZero() {
			*tm = time.Time{}
		} else {
			*tm = tm.UTC()
		}
	}
	return d
}

func equal(t *testing.T, got, want notify.Delivery) {
	t.Helper()
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("delivery differs\n got: %+v\nwant: %+v", normalize(got), normalize(want))
	}
}

func get(t *testing.T, s notify.Store, d notify.Delivery) notify.Delivery {
	t.Helper()
	got, err := s.Get(ctx(t), d.Realm, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func ids(ds []notify.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}
