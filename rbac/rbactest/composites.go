package rbactest

import (
	"strings"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

func testExpansionThreeLevels(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	// u1 → top → mid → low → {leaf, app/deep}; top also → shared, mid → shared (diamond).
	leaf := f.role("acme", "", "leaf")
	deep := f.role("acme", "c-1", "deep")
	low := f.role("acme", "", "low", leaf, deep)
	shared := f.role("acme", "", "shared")
	mid := f.role("acme", "", "mid", low, shared)
	top := f.role("acme", "", "top")
	f.compose("acme", top, mid, shared)
	f.role("acme", "", "unrelated")
	f.grant("acme", "u1", top)

	rr, cr := f.effective("acme", "u1")
	equal(t, "realm roles", rr, []string{"leaf", "low", "mid", "shared", "top"})
	if len(cr) != 1 || len(cr["app"]) != 1 || cr["app"][0] != "deep" {
		t.Fatalf("client roles = %v", cr)
	}
	all, err := f.svc.UserCompositeRoles(f.ctx, "acme", "u1")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "composite roles", labels(all), []string{"leaf", "low", "mid", "shared", "top", "app/deep"})
	equal(t, "direct roles", f.mapped("acme", "u1"), []string{"top"})
	equal(t, "top's composites", f.composites("acme", top), []string{"mid", "shared"})
	got, _ := f.svc.GetRole(f.ctx, "acme", top.ID)
	if !got.Composite {
		t.Fatal("top is not marked composite")
	}

	// A second direct mapping inside the expansion adds nothing twice.
	f.grant("acme", "u1", low)
	rr, _ = f.effective("acme", "u1")
	equal(t, "realm roles with overlap", rr, []string{"leaf", "low", "mid", "shared", "top"})

	// Removing an edge shrinks the expansion.
	if err := f.svc.RemoveComposites(f.ctx, "acme", top.ID, mid.ID); err != nil {
		t.Fatal(err)
	}
	rr, _ = f.effective("acme", "u1")
	equal(t, "after removing top→mid", rr, []string{"leaf", "low", "shared", "top"})
	if ok, err := f.svc.HasRole(f.ctx, "acme", "u1", "leaf"); err != nil || !ok {
		t.Fatalf("HasRole(leaf) = %v, %v", ok, err)
	}
	if ok, err := f.svc.HasRole(f.ctx, "acme", "u1", "mid"); err != nil || ok {
		t.Fatalf("HasRole(mid) = %v, %v", ok, err)
	}
	if ok, err := f.svc.HasRole(f.ctx, "acme", "nobody", "leaf"); err != nil || ok {
		t.Fatalf("HasRole of unknown user = %v, %v", ok, err)
	}
}

func testCycleRejection(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	a := f.role("acme", "", "a")
	b := f.role("acme", "", "b")
	c := f.role("acme", "c-1", "c")
	f.compose("acme", a, b)
	f.compose("acme", b, c)

	tests := []struct {
		name     string
		parent   rbac.Role
		children []rbac.Role
		cycle    string
	}{
		{"Self", a, []rbac.Role{a}, "a → a"},
		{"TwoRoles", b, []rbac.Role{a}, "b → a → b"},
		{"ThreeRolesThroughAClientRole", c, []rbac.Role{a}, "app/c → a → b → app/c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.svc.AddComposites(f.ctx, "acme", tt.parent.ID, ids(tt.children)...)
			code(t, "cycle", err, iam.CodeInvalid)
			if iam.ErrorField(err) != "composites" || !strings.Contains(iam.ErrorMessage(err), tt.cycle) {
				t.Fatalf("error %q (field %q) does not name the cycle %q", iam.ErrorMessage(err), iam.ErrorField(err), tt.cycle)
			}
		})
	}
	// Nothing changed: c contains nothing, a and b as before.
	equal(t, "a", f.composites("acme", a), []string{"b"})
	equal(t, "b", f.composites("acme", b), []string{"app/c"})
	equal(t, "c", f.composites("acme", c), nil)
}

func testConcurrentCycle(t *testing.T, f *fixture) {
	for range 10 {
		a := f.role("acme", "", "a-"+iam.NewID())
		b := f.role("acme", "", "b-"+iam.NewID())
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() { defer wg.Done(); errs[0] = f.svc.AddComposites(f.ctx, "acme", a.ID, b.ID) }()
		go func() { defer wg.Done(); errs[1] = f.svc.AddComposites(f.ctx, "acme", b.ID, a.ID) }()
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch iam.ErrorCode(err) {
			case "":
				ok++
			case iam.CodeInvalid:
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of two opposite edges were added, want exactly 1 (errors %v)", ok, errs)
		}
		ca, cb := f.composites("acme", a), f.composites("acme", b)
		if len(ca)+len(cb) != 1 {
			t.Fatalf("a contains %v and b contains %v", ca, cb)
		}
	}
}

func testConcurrentComposite(t *testing.T, f *fixture) {
	parent := f.role("acme", "", "parent")
	child := f.role("acme", "", "child")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- f.svc.AddComposites(f.ctx, "acme", parent.ID, child.ID) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent AddComposites: %v", err)
		}
	}
	equal(t, "composites", f.composites("acme", parent), []string{"child"})
}

func testUnknownRoleIsAtomic(t *testing.T, f *fixture) {
	a := f.role("acme", "", "a")
	b := f.role("acme", "", "b")
	missing := iam.NewID()
	code(t, "AddComposites with an unknown child", f.svc.AddComposites(f.ctx, "acme", a.ID, b.ID, missing), iam.CodeNotFound)
	equal(t, "a after failed AddComposites", f.composites("acme", a), nil)
	code(t, "AddComposites to an unknown parent", f.svc.AddComposites(f.ctx, "acme", missing, b.ID), iam.CodeNotFound)
	code(t, "store: AddComposites to an unknown parent", f.st.AddComposites(f.ctx, "acme", missing, []string{b.ID}), iam.CodeNotFound)
	code(t, "AddUserRoles with an unknown role", f.svc.AddUserRoles(f.ctx, "acme", "u1", a.ID, missing), iam.CodeNotFound)
	equal(t, "u1 after failed AddUserRoles", f.mapped("acme", "u1"), nil)
	_, err := f.svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "c"}, a.ID, missing)
	code(t, "CreateRole with an unknown composite", err, iam.CodeNotFound)
	if _, err := f.svc.GetRoleByName(f.ctx, "acme", "", "c"); !isNotFound(err) {
		t.Fatalf("role created despite the error: %v", err)
	}
	_, err = f.svc.Composites(f.ctx, "acme", missing)
	code(t, "Composites of an unknown role", err, iam.CodeNotFound)
	code(t, "RemoveComposites of an unknown role", f.svc.RemoveComposites(f.ctx, "acme", missing, a.ID), iam.CodeNotFound)
}

func testDeleteRoleCascades(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	victim := f.role("acme", "c-1", "victim")
	keep := f.role("acme", "", "keep")
	p1 := f.role("acme", "", "p1", victim, keep)
	p2 := f.role("acme", "", "p2", victim)
	holder := f.role("acme", "", "holder", p2)
	child := f.role("acme", "", "child")
	f.compose("acme", victim, child)
	f.grant("acme", "u1", victim, keep)
	f.grant("acme", "u2", victim)
	f.grant("acme", "u3", holder)

	if err := f.svc.DeleteRole(f.ctx, "acme", victim.ID); err != nil {
		t.Fatal(err)
	}
	equal(t, "p1", f.composites("acme", p1), []string{"keep"})
	equal(t, "p2", f.composites("acme", p2), nil)
	if got, _ := f.svc.GetRole(f.ctx, "acme", p2.ID); got.Composite {
		t.Fatal("p2 is still marked composite")
	}
	equal(t, "u1", f.mapped("acme", "u1"), []string{"keep"})
	equal(t, "u2", f.mapped("acme", "u2"), nil)
	rr, cr := f.effective("acme", "u3")
	equal(t, "u3", rr, []string{"holder", "p2"})
	if len(cr) != 0 {
		t.Fatalf("u3 client roles = %v", cr)
	}
	if _, err := f.svc.GetRole(f.ctx, "acme", child.ID); err != nil {
		t.Fatalf("deleting a composite deleted its child: %v", err)
	}
}
