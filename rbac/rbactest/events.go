package rbactest

import (
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

func testEvents(t *testing.T, f *fixture) {
	r := f.role("acme", "", "r")
	f.grant("acme", "u1", r)
	if _, err := f.svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "r"}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("duplicate: %v", err)
	}
	name := "renamed"
	if _, err := f.svc.UpdateRole(f.ctx, "acme", r.ID, rbac.RoleUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	_, err := f.st.UpdateRole(f.ctx, "acme", r.ID, func(x *rbac.Role) ([]iam.Event, error) {
		e, err := iam.NewEvent(rbac.Source, iam.TopicRoleUpdated, "acme", x.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		return []iam.Event{e}, iam.Invalidf("name", "no") // fn failed: no event
	})
	code(t, "failed update", err, iam.CodeInvalid)
	if err := f.svc.DeleteRole(f.ctx, "acme", r.ID); err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, e := range f.h.Events(t) {
		topics = append(topics, e.Type)
	}
	want := []string{iam.TopicRoleCreated, iam.TopicRoleMappingChanged, iam.TopicRoleUpdated, iam.TopicRoleDeleted}
	if !slices.Equal(topics, want) {
		t.Fatalf("recorded %v, want %v (a failed change records nothing)", topics, want)
	}
	var m rbac.MappingChangedEvent
	if err := f.h.Events(t)[1].Decode(&m); err != nil || m.UserID != "u1" || m.Realm != "acme" {
		t.Fatalf("mapping event = %+v, %v", m, err)
	}
}
