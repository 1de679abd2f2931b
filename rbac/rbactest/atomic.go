package rbactest

import (
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// Atomically keeps every change fn made, with its events, when fn succeeds,
// and none of them when it fails; other realms are untouched either way.
func testAtomically(t *testing.T, f *fixture) {
	other := f.role("other", "", "kept")
	before := len(f.h.Events(t))
	boom := iam.Invalidf("roles", "stop")
	err := f.st.Atomically(f.ctx, "acme", func(st rbac.Store) error {
		svc := rbac.New(st)
		r, err := svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "half"})
		if err != nil {
			return err
		}
		if err := svc.AddUserRoles(f.ctx, "acme", "u1", r.ID); err != nil {
			return err
		}
		if got, err := st.GetRoleByName(f.ctx, "acme", "", "half"); err != nil || got.ID != r.ID {
			t.Errorf("fn does not see its own change: %+v, %v", got, err)
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Atomically = %v, want fn's error as is", err)
	}
	if _, err := f.st.GetRoleByName(f.ctx, "acme", "", "half"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("a failed fn's role is there: %v", err)
	}
	if roles, _ := f.st.Mappings(f.ctx, "acme", rbac.Principal{Type: rbac.PrincipalUser, ID: "u1"}); len(roles) != 0 {
		t.Fatalf("a failed fn's mapping is there: %v", roles)
	}
	if n := len(f.h.Events(t)); n != before {
		t.Fatalf("a failed fn recorded %d events", n-before)
	}

	err = f.st.Atomically(f.ctx, "acme", func(st rbac.Store) error {
		svc := rbac.New(st)
		a, err := svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "a"})
		if err != nil {
			return err
		}
		b, err := svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "b"}, a.ID)
		if err != nil {
			return err
		}
		return svc.AddUserRoles(f.ctx, "acme", "u1", b.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	realmRoles, _, err := f.svc.EffectiveRoles(f.ctx, "acme", "u1")
	if err != nil || !slices.Contains(realmRoles, "a") || !slices.Contains(realmRoles, "b") {
		t.Fatalf("after Atomically: %v, %v", realmRoles, err)
	}
	var topics []string
	for _, e := range f.h.Events(t)[before:] {
		topics = append(topics, e.Type)
	}
	want := []string{iam.TopicRoleCreated, iam.TopicRoleCreated, iam.TopicRoleMappingChanged}
	if !slices.Equal(topics, want) {
		t.Fatalf("recorded %v, want %v", topics, want)
	}
	if got, err := f.st.GetRole(f.ctx, "other", other.ID); err != nil || got.Name != "kept" {
		t.Fatalf("another realm changed: %+v, %v", got, err)
	}
}
