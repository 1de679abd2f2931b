package iampg_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
)

func TestWrite(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	rows := func() int { return queryInt(t, pool, "SELECT count(*) FROM outbox") }

	t.Run("StoresTheEnvelopeWithTopicRealmAndKey", func(t *testing.T) {
		e := newEvent(t, "user-1", map[string]string{"username": "alice"})
		write(t, pool, e)
		var topic, realm, key, id string
		var payload []byte
		err := pool.QueryRow(ctx, `SELECT topic, realm_name, key, event_id::text, payload FROM outbox WHERE event_id = $1`, e.ID).
			Scan(&topic, &realm, &key, &id, &payload)
		if err != nil {
			t.Fatal(err)
		}
		if topic != iam.TopicUserCreated || realm != "acme" || key != "acme/user-1" || id != e.ID {
			t.Fatalf("row = %q %q %q %q", topic, realm, key, id)
		}
		var got iam.Event
		if err := json.Unmarshal(payload, &got); err != nil {
			t.Fatal(err)
		}
		assertSameEvent(t, got, e)
	})

	t.Run("StampsTheTraceOfItsContext", func(t *testing.T) {
		const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		e := newEvent(t, "user-traced", nil)
		traced := iam.WithTraceParent(ctx, tp)
		if err := iampg.WithTx(traced, pool, func(tx pgx.Tx) error { return iampg.Write(traced, tx, e) }); err != nil {
			t.Fatal(err)
		}
		var payload []byte
		if err := pool.QueryRow(ctx, `SELECT payload FROM outbox WHERE event_id = $1`, e.ID).Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var got iam.Event
		if err := json.Unmarshal(payload, &got); err != nil || got.TraceParent != tp {
			t.Fatalf("outbox event %+v (%v), want traceparent %s: the relay publishes it later, without the request", got, err, tp)
		}
	})

	t.Run("InvalidEventsAreRejectedAndNothingIsWritten", func(t *testing.T) {
		before := rows()
		good := newEvent(t, "user-2", nil)
		badID := newEvent(t, "user-3", nil)
		badID.ID = "not-a-uuid"
		noType := newEvent(t, "user-4", nil)
		noType.Type = ""
		badRealm := newEvent(t, "user-5", nil)
		badRealm.Realm = "Not A Realm"
		badData := newEvent(t, "user-6", nil)
		badData.Data = json.RawMessage("{not json")
		for name, bad := range map[string]iam.Event{"id": badID, "type": noType, "realm": badRealm, "data": badData} {
			err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
				return iampg.Write(ctx, tx, good, bad)
			})
			if !errors.Is(err, iam.ErrInvalid) || iam.ErrorField(err) != name {
				t.Errorf("bad %s: err = %v (field %q), want invalid with field %q", name, err, iam.ErrorField(err), name)
			}
		}
		if rows() != before {
			t.Fatal("a rejected Write left rows behind")
		}
	})

	t.Run("DuplicateIDIsConflict", func(t *testing.T) {
		e := newEvent(t, "user-7", nil)
		write(t, pool, e)
		err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error { return iampg.Write(ctx, tx, e) })
		if !errors.Is(err, iam.ErrConflict) {
			t.Fatalf("err = %v, want conflict", err)
		}
	})

	t.Run("RolledBackWriteLeavesNoRow", func(t *testing.T) {
		before := rows()
		err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
			if err := iampg.Write(ctx, tx, newEvent(t, "user-8", nil)); err != nil {
				return err
			}
			return iam.Conflictf("the change failed")
		})
		if !errors.Is(err, iam.ErrConflict) {
			t.Fatal(err)
		}
		if rows() != before {
			t.Fatal("rolled-back event stayed in the outbox")
		}
	})

	t.Run("NoEventsIsANoop", func(t *testing.T) {
		before := rows()
		if err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error { return iampg.Write(ctx, tx) }); err != nil {
			t.Fatal(err)
		}
		if rows() != before {
			t.Fatal("rows appeared")
		}
	})
}

func TestPruneOutbox(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	oldSent, newSent, oldUnsent := newEvent(t, "a", nil), newEvent(t, "b", nil), newEvent(t, "c", nil)
	write(t, pool, oldSent, newSent, oldUnsent)
	if _, err := pool.Exec(ctx, `
		UPDATE outbox SET sent_at = now() - interval '2 days' WHERE event_id = $1;
		`, oldSent.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE outbox SET sent_at = now() WHERE event_id = $1`, newSent.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE outbox SET created_at = now() - interval '30 days' WHERE event_id = $1`, oldUnsent.ID); err != nil {
		t.Fatal(err)
	}
	n, err := iampg.PruneOutbox(ctx, pool, 24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("PruneOutbox = %d, %v; want 1 row", n, err)
	}
	for _, e := range []iam.Event{newSent, oldUnsent} {
		if queryInt(t, pool, "SELECT count(*) FROM outbox WHERE event_id = $1", e.ID) != 1 {
			t.Errorf("event about %s was pruned", e.Subject)
		}
	}
}

// assertSameEvent compares two events field by field (Data as JSON).
func assertSameEvent(t testing.TB, got, want iam.Event) {
	t.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.Source != want.Source ||
		got.Subject != want.Subject || got.Realm != want.Realm || got.SpecVersion != want.SpecVersion ||
		got.DataContentType != want.DataContentType || !got.Time.Equal(want.Time) {
		t.Fatalf("event = %+v, want %+v", got, want)
	}
	var g, w any
	if err := json.Unmarshal(got.Data, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want.Data, &w); err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(w)
	if string(gj) != string(wj) {
		t.Fatalf("data = %s, want %s", got.Data, want.Data)
	}
}
