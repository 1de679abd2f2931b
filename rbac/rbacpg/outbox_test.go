package rbacpg_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
)

// migrated returns a pool on a fresh, migrated database.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := rbacpg.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// outboxTopics returns the topics in the outbox, oldest first.
func outboxTopics(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT topic FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var topics []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		topics = append(topics, s)
	}
	return topics
}

func TestChangesWriteTheirEventsToTheOutbox(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	svc := rbac.New(rbacpg.New(pool))
	r, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "r"}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("duplicate: %v", err)
	}
	if err := svc.AddUserRoles(ctx, "acme", "u1", r.ID, iam.NewID()); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("unknown role: %v", err)
	}
	if err := svc.AddUserRoles(ctx, "acme", "u1", r.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteRole(ctx, "acme", r.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{iam.TopicRoleCreated, iam.TopicRoleMappingChanged, iam.TopicRoleDeleted}
	if got := outboxTopics(t, pool); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v (failed changes must write no event)", got, want)
	}
}

func TestOnceRollsBackAFailedHandler(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	st := rbacpg.New(pool)
	svc := rbac.New(st)
	id := iam.NewID()
	boom := errors.New("boom")
	err := st.Once(ctx, rbac.Consumer, id, func(tx rbac.Store) error {
		if _, err := rbac.New(tx).CreateRole(ctx, "acme", rbac.Role{Name: "half-done"}); err != nil {
			t.Fatal(err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Once = %v", err)
	}
	if _, err := svc.GetRoleByName(ctx, "acme", "", "half-done"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("a failed handler's change was committed: %v", err)
	}
	if got := outboxTopics(t, pool); len(got) != 0 {
		t.Fatalf("a failed handler's events were committed: %v", got)
	}
	// A conflict inside the handler (a savepoint) does not poison its
	// transaction.
	err = st.Once(ctx, rbac.Consumer, id, func(tx rbac.Store) error {
		s := rbac.New(tx)
		if _, err := s.CreateRole(ctx, "acme", rbac.Role{Name: "r"}); err != nil {
			return err
		}
		if _, err := s.CreateRole(ctx, "acme", rbac.Role{Name: "r"}); iam.ErrorCode(err) != iam.CodeConflict {
			t.Fatalf("duplicate in handler: %v", err)
		}
		_, err := s.CreateRole(ctx, "acme", rbac.Role{Name: "r2"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	roles, _ := svc.ListRoles(ctx, "acme", rbac.RoleFilter{})
	if len(roles) != 2 {
		t.Fatalf("roles = %v", roles)
	}
}

// TestEveryQueryIsRealmScoped reads every query and checks that it names
// realm_name (the predicate or the inserted column).
func TestEveryQueryIsRealmScoped(t *testing.T) {
	files, err := filepath.Glob("queries/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no queries: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range strings.Split(string(raw), "-- name: ")[1:] {
			name, _, _ := strings.Cut(q, " ")
			if !strings.Contains(q, "realm_name") {
				t.Errorf("%s: query %s does not name realm_name", f, name)
			}
		}
	}
}

func TestNewClientIDWritesRoleUpdatedForTheClientsRoles(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	svc := rbac.New(rbacpg.New(pool))
	if err := svc.PutClient(ctx, "acme", "c-1", "app"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []rbac.Role{{Name: "a", ClientUUID: "c-1"}, {Name: "b", ClientUUID: "c-1"}, {Name: "realm-role"}} {
		if _, err := svc.CreateRole(ctx, "acme", r); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.PutClient(ctx, "acme", "c-1", "app"); err != nil { // unchanged: no event
		t.Fatal(err)
	}
	if err := svc.PutClient(ctx, "acme", "c-1", "app2"); err != nil {
		t.Fatal(err)
	}
	want := []string{iam.TopicRoleCreated, iam.TopicRoleCreated, iam.TopicRoleCreated, iam.TopicRoleUpdated, iam.TopicRoleUpdated}
	if got := outboxTopics(t, pool); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	c, err := svc.Client(ctx, "acme", "c-1")
	if err != nil || c.ClientID != "app2" {
		t.Fatalf("client = %+v, %v", c, err)
	}
}
