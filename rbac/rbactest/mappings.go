package rbactest

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

func testConcurrentMapping(t *testing.T, f *fixture) {
	r := f.role("acme", "", "r")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- f.svc.AddUserRoles(f.ctx, "acme", "u1", r.ID) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent AddUserRoles: %v", err)
		}
	}
	equal(t, "mapped", f.mapped("acme", "u1"), []string{"r"})
	users, err := f.svc.RoleUsers(f.ctx, "acme", r.ID, rbac.Page{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "role users", users, []string{"u1"})

	// Removing is idempotent too, and ignores roles not mapped.
	other := f.role("acme", "", "other")
	for range 2 {
		if err := f.svc.RemoveUserRoles(f.ctx, "acme", "u1", r.ID, other.ID); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "after remove", f.mapped("acme", "u1"), nil)
}

func testDeleteClient(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	f.client("acme", "c-2", "other")
	gone := f.role("acme", "c-1", "gone")
	stays := f.role("acme", "c-2", "stays")
	realmRole := f.role("acme", "", "realm-role", gone)
	sa := iam.ServiceAccountSubject("c-1")
	f.grant("acme", sa, realmRole)
	f.grant("acme", "u1", gone, stays)

	for range 2 { // idempotent
		if err := f.svc.DeleteClient(f.ctx, "acme", "c-1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.GetRole(f.ctx, "acme", gone.ID); !isNotFound(err) {
		t.Fatalf("client role survived its client: %v", err)
	}
	equal(t, "u1", f.mapped("acme", "u1"), []string{"other/stays"})
	equal(t, "service account", f.mapped("acme", sa), nil)
	equal(t, "realm-role", f.composites("acme", realmRole), nil)
	_, err := f.svc.Client(f.ctx, "acme", "c-1")
	code(t, "deleted client", err, iam.CodeNotFound)
	code(t, "mapping to a deleted client's service account", f.svc.AddUserRoles(f.ctx, "acme", sa, realmRole.ID), iam.CodeNotFound)
}

func testDeleteRealm(t *testing.T, f *fixture) {
	for _, realm := range []iam.Realm{"acme", "other"} {
		f.client(realm, "c-1", "app")
		cr := f.role(realm, "c-1", "cr")
		r := f.role(realm, "", "r", cr)
		f.grant(realm, "u1", r)
	}
	for range 2 {
		if err := f.svc.DeleteRealm(f.ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}
	roles, err := f.svc.ListRoles(f.ctx, "acme", rbac.RoleFilter{})
	if err != nil || len(roles) != 0 {
		t.Fatalf("roles left in deleted realm: %v, %v", names(roles), err)
	}
	if _, err := f.svc.Client(f.ctx, "acme", "c-1"); !isNotFound(err) {
		t.Fatalf("client left in deleted realm: %v", err)
	}
	equal(t, "acme u1", f.mapped("acme", "u1"), nil)
	rr, cr := f.effective("other", "u1")
	equal(t, "other u1", rr, []string{"r"})
	if len(cr["app"]) != 1 {
		t.Fatalf("other realm lost its client roles: %v", cr)
	}
}

func testDeletePrincipal(t *testing.T, f *fixture) {
	r := f.role("acme", "", "r")
	f.grant("acme", "u1", r)
	f.grant("acme", "u2", r)
	for range 2 {
		if err := f.svc.DeleteUser(f.ctx, "acme", "u1"); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "u1", f.mapped("acme", "u1"), nil)
	equal(t, "u2", f.mapped("acme", "u2"), []string{"r"})
}

func testRealmIsolation(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	acmeRole := f.role("acme", "", "r")
	acmeClientRole := f.role("acme", "c-1", "cr")
	otherRole := f.role("other", "", "r")
	f.grant("acme", "u1", acmeRole)

	if _, err := f.svc.GetRole(f.ctx, "other", acmeRole.ID); !isNotFound(err) {
		t.Fatalf("GetRole across realms: %v", err)
	}
	if _, err := f.svc.Client(f.ctx, "other", "c-1"); !isNotFound(err) {
		t.Fatalf("Client across realms: %v", err)
	}
	if _, err := f.svc.GetRoleByName(f.ctx, "other", "c-1", "cr"); !isNotFound(err) {
		t.Fatalf("GetRoleByName across realms: %v", err)
	}
	code(t, "map another realm's role", f.svc.AddUserRoles(f.ctx, "other", "u1", acmeRole.ID), iam.CodeNotFound)
	code(t, "compose another realm's role", f.svc.AddComposites(f.ctx, "other", otherRole.ID, acmeClientRole.ID), iam.CodeNotFound)
	code(t, "store: compose across realms", f.st.AddComposites(f.ctx, "acme", acmeRole.ID, []string{otherRole.ID}), iam.CodeNotFound)
	_, err := f.st.UpdateRole(f.ctx, "other", acmeRole.ID, func(r *rbac.Role) ([]iam.Event, error) {
		r.Name = "hijacked"
		return nil, nil
	})
	code(t, "update another realm's role", err, iam.CodeNotFound)
	code(t, "delete another realm's role", f.svc.DeleteRole(f.ctx, "other", acmeRole.ID), iam.CodeNotFound)
	code(t, "store: delete another realm's role", f.st.DeleteRole(f.ctx, "other", acmeRole.ID), iam.CodeNotFound)
	_, err = f.svc.RoleUsers(f.ctx, "other", acmeRole.ID, rbac.Page{})
	code(t, "users of another realm's role", err, iam.CodeNotFound)
	equal(t, "u1 in other", f.mapped("other", "u1"), nil)
	if rr, _ := f.effective("other", "u1"); len(rr) != 0 {
		t.Fatalf("u1 holds %v in other", rr)
	}
	// Removing in the wrong realm removes nothing.
	if err := f.svc.RemoveUserRoles(f.ctx, "other", "u1", acmeRole.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteUser(f.ctx, "other", "u1"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteClient(f.ctx, "other", "c-1"); err != nil {
		t.Fatal(err)
	}
	equal(t, "u1 in acme", f.mapped("acme", "u1"), []string{"r"})
	if _, err := f.svc.GetRole(f.ctx, "acme", acmeClientRole.ID); err != nil {
		t.Fatalf("deleting another realm's client removed this realm's role: %v", err)
	}
}

func testOnce(t *testing.T, f *fixture) {
	e1, e2 := iam.NewID(), iam.NewID()
	runs := 0
	fn := func(rbac.Store) error { runs++; return nil }
	for range 3 {
		if err := f.st.Once(f.ctx, "rbac", e1, fn); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.Once(f.ctx, "other-consumer", e1, fn); err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Fatalf("fn ran %d times, want 2 (once per consumer)", runs)
	}
	boom := errors.New("boom")
	if err := f.st.Once(f.ctx, "rbac", e2, func(rbac.Store) error { return boom }); err == nil {
		t.Fatal("Once swallowed fn's error")
	}
	ran := false
	if err := f.st.Once(f.ctx, "rbac", e2, func(rbac.Store) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("a failed event was recorded as processed: ran=%v err=%v", ran, err)
	}
}

// event builds an event as another service would publish it.
func event(t *testing.T, topic string, realm iam.Realm, subject string, data any) iam.Event {
	t.Helper()
	e, err := iam.NewEvent("/opengate/test", topic, realm, subject, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testConsumers(t *testing.T, f *fixture) {
	handle := func(e iam.Event) {
		t.Helper()
		if err := f.svc.HandleEvent(f.ctx, e); err != nil {
			t.Fatalf("HandleEvent(%s): %v", e.Type, err)
		}
	}
	realmCreated := event(t, iam.TopicRealmCreated, "acme", "acme", realms.CreatedEvent{Name: "acme", Enabled: true})
	handle(realmCreated)
	handle(realmCreated) // redelivered
	// The producers' payloads (which carry more than rbac reads).
	handle(event(t, iam.TopicClientCreated, "acme", "c-1", clients.CreatedEvent{ID: "c-1", ClientID: "app", ServiceAccountsEnabled: true}))
	userCreated := event(t, iam.TopicUserCreated, "acme", "u1", users.UserData{ID: "u1", Username: "alice", Email: "a@example.com"})
	handle(userCreated)
	equal(t, "u1 after user.created", f.mapped("acme", "u1"), []string{"default-roles-acme"})

	// A redelivered user.created does not undo an administrator's change.
	def, _ := f.svc.GetRoleByName(f.ctx, "acme", "", "default-roles-acme")
	if err := f.svc.RemoveUserRoles(f.ctx, "acme", "u1", def.ID); err != nil {
		t.Fatal(err)
	}
	handle(userCreated)
	equal(t, "u1 after redelivery", f.mapped("acme", "u1"), nil)

	// An imported user holds the roles of its representation only, as in
	// Keycloak (an import maps them): no default role.
	handle(event(t, iam.TopicUserCreated, "acme", "u5", users.UserData{ID: "u5", Username: "imported", Imported: true}))
	equal(t, "imported u5", f.mapped("acme", "u5"), nil)

	// user.created before realm.created (events of different keys race).
	handle(event(t, iam.TopicUserCreated, "late", "u9", users.UserData{ID: "u9", Username: "late"}))
	equal(t, "u9", f.mapped("late", "u9"), []string{"default-roles-late"})

	cr := f.role("acme", "c-1", "cr")
	f.grant("acme", "u2", cr)
	handle(event(t, iam.TopicClientUpdated, "acme", "c-1", clients.UpdatedEvent{ID: "c-1", ClientID: "renamed", PreviousClientID: "app"}))
	if _, got := f.effective("acme", "u2"); len(got["renamed"]) != 1 {
		t.Fatalf("client roles after client.updated = %v", got)
	}
	handle(event(t, iam.TopicUserDeleted, "acme", "u2", users.DeletedData{ID: "u2", Username: "bob"}))
	equal(t, "u2 after user.deleted", f.mapped("acme", "u2"), nil)
	handle(event(t, iam.TopicClientDeleted, "acme", "c-1", clients.DeletedEvent{ID: "c-1", ClientID: "renamed"}))
	if _, err := f.svc.GetRole(f.ctx, "acme", cr.ID); !isNotFound(err) {
		t.Fatalf("client role after client.deleted: %v", err)
	}
	handle(event(t, iam.TopicRealmDeleted, "acme", "acme", realms.DeletedEvent{Name: "acme"}))
	if roles, _ := f.svc.ListRoles(f.ctx, "acme", rbac.RoleFilter{}); len(roles) != 0 {
		t.Fatalf("roles after realm.deleted: %v", names(roles))
	}
	handle(event(t, "unrelated.topic", "acme", "x", nil))

	bad := event(t, iam.TopicClientCreated, "acme", "c-2", nil)
	bad.Data = json.RawMessage(`{"id": 5}`)
	code(t, "malformed client.created", f.svc.HandleEvent(f.ctx, bad), iam.CodeInvalid)
	noClientID := event(t, iam.TopicClientCreated, "acme", "c-2", map[string]any{"id": "c-2"})
	code(t, "client.created without clientId", f.svc.HandleEvent(f.ctx, noClientID), iam.CodeInvalid)
}

// testAddRealmRoleMapping checks the store's by-name mapping, the
// default-role path of user.created: it maps only a realm role of the
// realm, records its event only when it maps, and a missing role leaves a
// caller's transaction usable (the consumer then makes the realm's
// defaults and maps again, in the same Once).
func testAddRealmRoleMapping(t *testing.T, f *fixture) {
	r := f.role("acme", "", "r")
	f.client("acme", "c-1", "app")
	f.role("acme", "c-1", "client-only")
	f.role("other", "", "elsewhere")
	mapping := func(realm iam.Realm, userID string) iam.Event {
		e, err := iam.NewEvent(rbac.Source, iam.TopicRoleMappingChanged, realm, userID,
			rbac.MappingChangedEvent{Realm: realm, UserID: userID, PrincipalType: rbac.PrincipalUser, PrincipalID: userID})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	u1 := rbac.Principal{Type: rbac.PrincipalUser, ID: "u1"}
	for range 2 { // idempotent: the mapping kept once, each call's event recorded
		if err := f.st.AddRealmRoleMapping(f.ctx, "acme", u1, "r", mapping("acme", "u1")); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "u1", f.mapped("acme", "u1"), []string{"r"})
	for _, name := range []string{"missing", "client-only", "elsewhere"} {
		err := f.st.AddRealmRoleMapping(f.ctx, "acme", u1, name, mapping("acme", "u1"))
		code(t, "mapping realm role "+name+" of acme", err, iam.CodeNotFound)
	}
	code(t, "a group principal", f.st.AddRealmRoleMapping(f.ctx, "acme",
		rbac.Principal{Type: rbac.PrincipalGroup, ID: "g"}, "r"), iam.CodeInvalid)
	equal(t, "u1 after refusals", f.mapped("acme", "u1"), []string{"r"})

	// Not found inside Once: the transaction goes on, and commits what fn
	// does next.
	id := iam.NewID()
	err := f.st.Once(f.ctx, "rbac", id, func(st rbac.Store) error {
		p := rbac.Principal{Type: rbac.PrincipalUser, ID: "u2"}
		if err := st.AddRealmRoleMapping(f.ctx, "acme", p, "missing", mapping("acme", "u2")); iam.ErrorCode(err) != iam.CodeNotFound {
			t.Errorf("missing role in Once: %v, want not found", err)
		}
		return st.AddMappings(f.ctx, "acme", p, []string{r.ID}, mapping("acme", "u2"))
	})
	if err != nil {
		t.Fatalf("Once after a missing role: %v", err)
	}
	equal(t, "u2", f.mapped("acme", "u2"), []string{"r"})

	var users []string
	for _, e := range f.h.Events(t) {
		if e.Type != iam.TopicRoleMappingChanged {
			continue
		}
		var m rbac.MappingChangedEvent
		if err := e.Decode(&m); err != nil || m.Realm != "acme" || m.PrincipalType != rbac.PrincipalUser || m.PrincipalID != m.UserID {
			t.Fatalf("mapping event = %+v, %v", m, err)
		}
		users = append(users, m.UserID)
	}
	equal(t, "role_mapping.changed recorded for", users, []string{"u1", "u1", "u2"})
}
