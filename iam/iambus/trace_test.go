package iambus_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// An event published under a traced context carries the trace, and its
// handler runs under it, so what the handler records continues the trace.
func TestTheTraceTravelsWithTheEvent(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	b := newBus(t)
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	got := make(chan [2]string, 1)
	stop := subscribe(t, b, "g", []string{"t"}, func(ctx context.Context, e iam.Event) error {
		got <- [2]string{e.TraceParent, iam.TraceParent(ctx)}
		return nil
	})
	defer stop()
	if err := b.Publish(iam.WithTraceParent(context.Background(), tp), event(t, "t", "k", 1)); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-got:
		if g[0] != tp || g[1] != tp {
			t.Fatalf("event trace %q, handler context trace %q, want %q", g[0], g[1], tp)
		}
	case <-time.After(hangGuard):
		t.Fatal("not delivered")
	}
}
