package notifymem_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifymem"
	"github.com/opengate-iam/opengate/notify/notifytest"
)

func TestStore(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) notifytest.Harness {
		return notifytest.Harness{Store: notifymem.New()}
	})
}

func TestLimitForgetsTheOldestSettledDeliveries(t *testing.T) {
	s := notifymem.New(notifymem.WithLimit(3))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var made []notify.Delivery
	for i, st := range []notify.Status{notify.StatusSent, notify.StatusPending, notify.StatusFailed, notify.StatusSent} {
		d := notify.Delivery{ID: iam.NewID(), Realm: "acme", EventID: iam.NewID(), Kind: notify.KindWelcome, Status: st,
			CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		if _, _, err := s.Enqueue(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		made = append(made, d)
	}
	list, _ := s.List(t.Context(), "acme", notify.Filter{})
	if len(list) != 3 {
		t.Fatalf("%d deliveries kept, want 3", len(list))
	}
	if _, err := s.Get(t.Context(), "acme", made[0].ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("the oldest settled delivery is kept: %v", err)
	}
	if _, err := s.Get(t.Context(), "acme", made[1].ID); err != nil {
		t.Fatalf("a pending delivery was forgotten: %v", err)
	}
}

func TestService(t *testing.T) {
	notifytest.RunService(t, func(t *testing.T) notifytest.ServiceHarness {
		s := notifymem.New()
		return notifytest.ServiceHarness{Store: s, Dump: func(t *testing.T) string {
			var all []notify.Delivery
			for _, realm := range []iam.Realm{"acme", "beta"} {
				list, err := s.List(t.Context(), realm, notify.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, list...)
			}
			raw, err := json.Marshal(all)
			if err != nil {
				t.Fatal(err)
			}
			return string(raw)
		}}
	})
}

func BenchmarkDeliver(b *testing.B) { notifytest.BenchDeliver(b, notifymem.New()) }
