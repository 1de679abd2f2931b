package userspg_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/userstest"
)

func migrated(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := userspg.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// outbox returns the topics and payloads in the outbox, oldest first.
func outbox(t *testing.T, pool *pgxpool.Pool) ([]string, string) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT topic, payload::text FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var topics []string
	var all strings.Builder
	for rows.Next() {
		var topic, payload string
		if err := rows.Scan(&topic, &payload); err != nil {
			t.Fatal(err)
		}
		topics = append(topics, topic)
		all.WriteString(payload)
	}
	return topics, all.String()
}

func TestChangesWriteTheirEventsToTheOutbox(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	links := userstest.NewLinkSealer(t)
	svc := users.New(userspg.New(pool), userstest.NewRealms(userstest.Realm("acme")), users.WithParams(userstest.FastParams),
		users.WithLinkSealer(links))
	u, err := svc.Create(ctx, "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true},
		users.NewCredential{Value: "Secret-Pw-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, "acme", users.User{Username: "ALICE"}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("duplicate: %v", err)
	}
	if err := svc.SendVerifyEmail(ctx, "acme", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Import(ctx, "acme", users.ImportFail, []users.ImportUser{{User: users.User{Username: "alice"}}}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("failed import: %v", err)
	}
	if _, err := svc.Import(ctx, "acme", users.ImportFail, []users.ImportUser{{User: users.User{Username: "bob"}}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, "acme", u.ID); err != nil {
		t.Fatal(err)
	}
	topics, payloads := outbox(t, pool)
	want := []string{iam.TopicUserCreated, iam.TopicUserVerifyEmailRequested, iam.TopicUserCreated, iam.TopicUserDeleted}
	if !slices.Equal(topics, want) {
		t.Fatalf("outbox = %v, want %v", topics, want)
	}
	for _, secret := range []string{"Secret-Pw", "argon2"} {
		if strings.Contains(payloads, secret) {
			t.Fatalf("outbox payloads contain %q", secret)
		}
	}
}

// TestActionLinksAreSealedInTheOutbox reads the raw outbox rows of a
// verification, a password reset and an execute-actions email (issue 10
// item 11): the rows hold the link sealed, never its key nor the link's
// path in clear, and the sealed link opens with the link key only.
func TestActionLinksAreSealedInTheOutbox(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	links := userstest.NewLinkSealer(t)
	svc := users.New(userspg.New(pool), userstest.NewRealms(userstest.Realm("acme")), users.WithParams(userstest.FastParams),
		users.WithLinkSealer(links), users.WithResetRunner(func(work func()) { work() }))
	u, err := svc.Create(ctx, "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SendVerifyEmail(ctx, "acme", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := svc.RequestPasswordReset(ctx, "acme", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := svc.ExecuteActionsEmail(ctx, "acme", u.ID, []string{users.ActionUpdatePassword}, 0); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT payload::text FROM outbox WHERE topic IN ($1, $2) ORDER BY id`,
		iam.TopicUserVerifyEmailRequested, iam.TopicUserPasswordResetRequested)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(raw) != 3 {
		t.Fatalf("%d action rows, %v; want 3", len(raw), err)
	}
	for _, row := range raw {
		var e iam.Event
		if err := json.Unmarshal([]byte(row), &e); err != nil {
			t.Fatal(err)
		}
		_, key := userstest.ActionKey(t, links, e)
		if len(key) < 40 {
			t.Fatalf("opened link has key %q", key)
		}
		for _, clear := range []string{key, users.TokenHash(key), "login-actions", "key="} {
			if strings.Contains(row, clear) {
				t.Fatalf("outbox row contains %q in clear: %s", clear, row)
			}
		}
	}
}

func TestOnceHandlesAnEventOnce(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	st := userspg.New(pool)
	svc := users.New(st, userstest.NewRealms(userstest.Realm("acme")), users.WithParams(userstest.FastParams))
	deleted, _ := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", map[string]string{"name": "acme"})
	if _, err := svc.Create(ctx, "acme", users.User{Username: "before"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.HandleEvent(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	// The realm is re-created with a user; a late redelivery of the old
	// event must not delete it.
	if _, err := svc.Create(ctx, "acme", users.User{Username: "after"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.HandleEvent(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	list, _ := svc.List(ctx, "acme", users.Filter{})
	if len(list) != 1 || list[0].Username != "after" {
		t.Fatalf("users = %+v", list)
	}
	t.Run("FailedHandlerLeavesNoTrace", func(t *testing.T) {
		e, _ := iam.NewEvent("/test", "test.event", "acme", "x", nil)
		boom := errors.New("boom")
		err := st.Once(ctx, "test", e.ID, func(tx users.Store) error {
			if _, err := tx.DeleteRealm(ctx, "acme"); err != nil {
				t.Fatal(err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Once = %v", err)
		}
		if n, _ := svc.Count(ctx, "acme", users.Filter{}); n != 1 {
			t.Fatalf("a failed handler's delete was committed: %d users", n)
		}
		ran := false
		if err := st.Once(ctx, "test", e.ID, func(users.Store) error { ran = true; return nil }); err != nil || !ran {
			t.Fatalf("retry after failure: ran=%v err=%v", ran, err)
		}
	})
}

// TestEveryQueryIsRealmScoped reads every query and checks that it has a
// realm_name predicate (inserts: the realm_name column).
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
			name, body, _ := strings.Cut(q, "\n")
			insert := strings.HasPrefix(strings.TrimSpace(body), "INSERT")
			if !strings.Contains(body, "realm_name") || (!insert && !strings.Contains(body, "realm_name = @realm_name")) {
				t.Errorf("%s: query %s has no realm_name predicate", f, name)
			}
		}
	}
}
