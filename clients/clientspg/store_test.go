package clientspg_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/clients/clientstest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestStore(t *testing.T) {
	clientstest.Run(t, func(t *testing.T) clientstest.Harness {
		pool := migrated(t)
		return clientstest.Harness{Store: clientspg.New(pool), Events: outbox(pool), OnceIsAtomic: true}
	})
}

// migrated returns a pool on a fresh, migrated database.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := clientspg.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// outbox reads the events in pool's outbox, oldest first.
func outbox(pool *pgxpool.Pool) func(t *testing.T) []iam.Event {
	return func(t *testing.T) []iam.Event {
		t.Helper()
		rows, err := pool.Query(context.Background(), `SELECT payload FROM outbox ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var events []iam.Event
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var e iam.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return events
	}
}

func newService(t testing.TB, pool *pgxpool.Pool) *clients.Service {
	t.Helper()
	sealer, err := iamcrypto.NewSealer(iamcrypto.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return clients.New(clientspg.New(pool), sealer)
}

func TestSecretsAreNeverStoredInPlainText(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	svc := newService(t, pool)
	c, err := svc.Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, "the-plain-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	var dump string
	if err := pool.QueryRow(ctx, `SELECT row_to_json(clients)::text || (SELECT string_agg(payload::text, '') FROM outbox) FROM clients WHERE realm_name = 'acme'`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, "the-plain-secret") {
		t.Fatalf("secret in the database: %s", dump)
	}
	if s, err := svc.Secret(ctx, "acme", c.ID); err != nil || s != "the-plain-secret-0123456789" {
		t.Fatalf("Secret = %q, %v", s, err)
	}
	if _, err := svc.Authenticate(ctx, "acme", "web", "the-plain-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	// Another deployment key cannot open it; the error says why, not what.
	_, err = newService(t, pool).Secret(ctx, "acme", c.ID)
	if iam.ErrorCode(err) != iam.CodeInternal || strings.Contains(err.Error(), "the-plain-secret") {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestRealmEventsTakeEffectOnce(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	svc := newService(t, pool)
	created, err := iam.NewEvent("/opengate/realms", iam.TopicRealmCreated, "acme", "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := svc.HandleEvent(ctx, created); err != nil {
			t.Fatal(err)
		}
	}
	c, err := svc.GetByClientID(ctx, "acme", clients.AdminCLI)
	if err != nil {
		t.Fatal(err)
	}
	// admin-cli's client.created went to the outbox in the consumer's transaction.
	events := outbox(pool)(t)
	if len(events) != 1 || events[0].Type != iam.TopicClientCreated || events[0].Subject != c.ID {
		t.Fatalf("outbox = %+v", events)
	}
	deleted, _ := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", nil)
	if err := svc.HandleEvent(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	if list, _ := svc.List(ctx, "acme", clients.Filter{}); len(list) != 0 {
		t.Fatalf("%d clients after realm.deleted", len(list))
	}
	var processed int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = $1`, clients.Consumer).Scan(&processed); err != nil {
		t.Fatal(err)
	}
	if processed != 2 {
		t.Fatalf("processed_events = %d, want 2", processed)
	}
}
