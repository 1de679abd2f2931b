package rbacmem_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/rbac/rbactest"
)

func TestConformance(t *testing.T) {
	rbactest.Run(t, func(t *testing.T) rbac.Store { return rbacmem.New(nil) })
}

// recorder is an iam.Publisher that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []iam.Event
}

func (r *recorder) Publish(_ context.Context, events ...iam.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

func (r *recorder) topics() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Type
	}
	return out
}

func TestChangesPublishTheirEvents(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	svc := rbac.New(rbacmem.New(rec))
	r, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddUserRoles(ctx, "acme", "u1", r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "r"}); err == nil {
		t.Fatal("duplicate accepted")
	}
	if err := svc.DeleteRole(ctx, "acme", r.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{iam.TopicRoleCreated, iam.TopicRoleMappingChanged, iam.TopicRoleDeleted}
	got := rec.topics()
	if len(got) != len(want) {
		t.Fatalf("topics = %v, want %v (a failed change must publish nothing)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("topics = %v, want %v", got, want)
		}
	}
	var m rbac.MappingChangedEvent
	if err := rec.events[1].Decode(&m); err != nil || m.UserID != "u1" || m.Realm != "acme" || rec.events[1].Subject != "u1" {
		t.Fatalf("mapping event = %+v, %v", m, err)
	}
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
	rec := &recorder{}
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
	if got := rec.topics(); len(got) != len(want) || got[2] != want[2] {
		t.Fatalf("topics = %v, want %v", got, want)
	}
	var e rbac.RoleEvent
	if err := rec.events[2].Decode(&e); err != nil || e.ID != cr.ID || e.ClientID != "app2" || !e.ClientRole {
		t.Fatalf("role.updated = %+v, %v", e, err)
	}
}
