package notifypg_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifypg"
)

// TestEnqueueInABatchIsOneStatement pins the consumer's hot path: inside a
// batch (iampg.Batcher, as Server.Run consumes), recording a delivery —
// its row and its queue row — costs one statement, and the worker then
// claims every delivery the batch committed.
func TestEnqueueInABatchIsOneStatement(t *testing.T) {
	ctx := context.Background()
	pool, statements := iamtest.PostgresCounting(t)
	if err := notifypg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	st := notifypg.New(pool)
	now := time.Now().UTC().Truncate(time.Microsecond)
	var eventIDs []string
	for range 10 {
		eventIDs = append(eventIDs, iam.NewID())
	}
	bctx, batch, err := iampg.NewBatcher().Add(notify.Consumer, pool).Begin(ctx, notify.Consumer, eventIDs)
	if err != nil {
		t.Fatal(err)
	}
	start := statements.Load()
	for _, id := range eventIDs {
		err := st.Once(bctx, notify.Consumer, id, func(st notify.Store) error {
			_, created, err := st.Enqueue(bctx, notify.Delivery{ID: iam.NewID(), Realm: "acme", EventID: id,
				Kind: notify.KindWelcome, UserID: iam.NewID(), To: "u@example.com", Status: notify.StatusPending,
				NextAttemptAt: now, CreatedAt: now, UpdatedAt: now})
			if err == nil && !created {
				t.Errorf("delivery of %s not created", id)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := statements.Load() - start; got != int64(len(eventIDs)) {
		t.Errorf("%d deliveries cost %d statements in a batch, want one each", len(eventIDs), got)
	}
	if err := batch.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	claimed, err := st.Claim(ctx, "worker", now, time.Minute, 100)
	if err != nil || len(claimed) != len(eventIDs) {
		t.Fatalf("Claim after the batch = %d deliveries, %v; want %d", len(claimed), err, len(eventIDs))
	}
}
