package rbacmem_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/rbac/rbactest"
)

func TestStore(t *testing.T) {
	rbactest.Run(t, func(t *testing.T) rbactest.Harness {
		rec := iamtest.NewRecorder()
		return rbactest.Harness{Store: rbacmem.New(rec), Events: rec.Events}
	})
}

// topics returns the types of the events rec recorded.
func topics(t *testing.T, rec *iamtest.Recorder) []string {
	var out []string
	for _, e := range rec.Events(t) {
		out = append(out, e.Type)
	}
	return out
}

func TestOnceForgetsTheOldestBeyondItsLimit(t *testing.T) {
	ctx := context.Background()
	st := rbacmem.New(nil, rbacmem.WithProcessedLimit(2))
	runs := 0
	fn := func(rbac.Store) error { runs++; return nil }
	for _, id := range []string{"e1", "e2", "e3", "e3", "e2", "e1"} {
		if err := st.Once(ctx, "rbac", id, fn); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 4 { // e1, e2, e3, then e1 again after it was forgotten
		t.Fatalf("runs = %d, want 4", runs)
	}
}

// Of concurrent deliveries of one event, one runs fn and the others see it
// handled (the store's Once checked, ran and recorded in separate steps
// before, so every delivery could run fn).
func TestOnceRunsConcurrentDeliveriesOnce(t *testing.T) {
	ctx := context.Background()
	st := rbacmem.New(nil)
	var runs atomic.Int32
	release := make(chan struct{})
	var started, done sync.WaitGroup
	for range 20 {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			if err := st.Once(ctx, "rbac", "e1", func(rbac.Store) error { runs.Add(1); <-release; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	started.Wait()
	for range 100 { // let the others reach Once while the first runs fn
		runtime.Gosched()
	}
	close(release)
	done.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("fn ran %d times for one event, want 1", n)
	}
}

func TestNewClientIDPublishesRoleUpdatedForTheClientsRoles(t *testing.T) {
	ctx := context.Background()
	rec := iamtest.NewRecorder()
	svc := rbac.New(rbacmem.New(rec))
	if err := svc.PutClient(ctx, "acme", "c-1", "app"); err != nil {
		t.Fatal(err)
	}
	cr, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "cr", ClientUUID: "c-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "realm-role"}); err != nil {
		t.Fatal(err)
	}
	for _, clientID := range []string{"app", "app2"} { // unchanged, then new
		if err := svc.PutClient(ctx, "acme", "c-1", clientID); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{iam.TopicRoleCreated, iam.TopicRoleCreated, iam.TopicRoleUpdated}
	if got := topics(t, rec); len(got) != len(want) || got[2] != want[2] {
		t.Fatalf("topics = %v, want %v", got, want)
	}
	var e rbac.RoleEvent
	if err := rec.Events(t)[2].Decode(&e); err != nil || e.ID != cr.ID || e.ClientID != "app2" || !e.ClientRole {
		t.Fatalf("role.updated = %+v, %v", e, err)
	}
}
