package rbactest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

func testUpdateRoleThroughStore(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	r, err := f.svc.GetRole(f.ctx, "acme", f.role("acme", "c-1", "reader").ID) // as stored
	if err != nil {
		t.Fatal(err)
	}
	later := r.UpdatedAt.Add(time.Hour).UTC().Truncate(time.Microsecond)
	got, err := f.st.UpdateRole(f.ctx, "acme", r.ID, func(x *rbac.Role) ([]iam.Event, error) {
		if x.Name != "reader" || x.ClientID != "app" {
			t.Errorf("fn sees %+v, want the stored role", *x)
		}
		x.Name, x.Description, x.UpdatedAt = "writer", "writes", later
		x.Attributes = map[string][]string{"k": {"v"}}
		x.ID, x.Realm, x.ClientUUID, x.CreatedAt = iam.NewID(), "other", "", later // kept by the store
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.svc.GetRole(f.ctx, "acme", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for what, role := range map[string]rbac.Role{"returned": got, "stored": stored} {
		if role.ID != r.ID || role.Realm != "acme" || role.ClientUUID != "c-1" || role.ClientID != "app" ||
			role.Name != "writer" || role.Description != "writes" || role.Attributes["k"][0] != "v" ||
			!role.CreatedAt.Equal(r.CreatedAt) || !role.UpdatedAt.Equal(later) {
			t.Fatalf("%s role = %+v", what, role)
		}
	}
}

func testUpdateRoleErrorChangesNothing(t *testing.T, f *fixture) {
	r := f.role("acme", "", "reader")
	_, err := f.st.UpdateRole(f.ctx, "acme", r.ID, func(x *rbac.Role) ([]iam.Event, error) {
		x.Name = "changed"
		return nil, iam.Invalidf("description", "no")
	})
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "description" {
		t.Fatalf("err = %v, want fn's error", err)
	}
	if got, _ := f.svc.GetRole(f.ctx, "acme", r.ID); got.Name != "reader" {
		t.Fatalf("failed update renamed the role to %q", got.Name)
	}
	called := false
	_, err = f.st.UpdateRole(f.ctx, "acme", iam.NewID(), func(*rbac.Role) ([]iam.Event, error) {
		called = true
		return nil, nil
	})
	code(t, "update of a missing role", err, iam.CodeNotFound)
	if called {
		t.Fatal("fn called for a missing role")
	}
}

func testConcurrentRoleUpdates(t *testing.T, f *fixture) {
	r := f.role("acme", "", "reader")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := f.st.UpdateRole(f.ctx, "acme", r.ID, func(x *rbac.Role) ([]iam.Event, error) {
				if x.Attributes == nil {
					x.Attributes = map[string][]string{}
				}
				x.Attributes["n"] = append(x.Attributes["n"], fmt.Sprint(i))
				return nil, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := f.svc.GetRole(f.ctx, "acme", r.ID)
	if len(got.Attributes["n"]) != n {
		t.Fatalf("%d values after %d appends: updates were lost", len(got.Attributes["n"]), n)
	}
	// Through the Service: concurrent partial updates of different fields
	// all apply.
	desc, attrs := "describes", map[string][]string{"team": {"a"}}
	name := "renamed"
	updates := []rbac.RoleUpdate{{Description: &desc}, {Attributes: &attrs}, {Name: &name}}
	for _, u := range updates {
		wg.Go(func() {
			if _, err := f.svc.UpdateRole(f.ctx, "acme", r.ID, u); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ = f.svc.GetRole(f.ctx, "acme", r.ID)
	if got.Description != desc || got.Name != name || len(got.Attributes["team"]) != 1 {
		t.Fatalf("after concurrent partial updates = %+v: an update was lost", got)
	}
}
