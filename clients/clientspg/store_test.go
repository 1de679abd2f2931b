package clientspg_test

import (
	"context"
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
		return clientstest.Harness{Store: newStore(t, pool, newSealer(t)), Events: iamtest.Outbox(pool), OnceIsAtomic: true}
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

func newSealer(t testing.TB) *iamcrypto.Sealer {
	t.Helper()
	sealer, err := iamcrypto.NewSealer(iamcrypto.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return sealer
}

func newStore(t testing.TB, pool *pgxpool.Pool, sealer *iamcrypto.Sealer) *clientspg.Store {
	t.Helper()
	s, err := clientspg.New(pool, sealer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newService returns a Service over a store with its own deployment key.
func newService(t testing.TB, pool *pgxpool.Pool) *clients.Service {
	t.Helper()
	return clients.New(newStore(t, pool, newSealer(t)))
}

func TestNewRequiresASealer(t *testing.T) {
	s, err := clientspg.New(nil, nil)
	if s != nil || iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "sealer" {
		t.Fatalf("New(db, nil) = %v, %v; want no store and an error naming the sealer", s, err)
	}
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

// Before sealing moved into the store, clients.Service sealed secrets bound
// to "realm/id"; rows written then must still open.
func TestSecretsSealedByEarlierVersionsStillOpen(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	sealer := newSealer(t)
	svc := clients.New(newStore(t, pool, sealer))
	c, err := svc.Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	old, err := sealer.Seal([]byte("sealed-by-the-service-0123456789"), []byte("acme/"+c.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE clients SET sealed_secret = $1 WHERE realm_name = 'acme' AND id = $2`, old, c.ID); err != nil {
		t.Fatal(err)
	}
	if s, err := svc.Secret(ctx, "acme", c.ID); err != nil || s != "sealed-by-the-service-0123456789" {
		t.Fatalf("Secret = %q, %v", s, err)
	}
	// Bound to its client: the same value under another client does not open.
	other, err := svc.Create(ctx, "acme", clients.Client{ClientID: "other", Enabled: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE clients SET sealed_secret = $1 WHERE realm_name = 'acme' AND id = $2`, old, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Secret(ctx, "acme", other.ID); iam.ErrorCode(err) != iam.CodeInternal {
		t.Fatalf("moved secret: %v", err)
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
	rm, err := svc.GetByClientID(ctx, "acme", clients.RealmManagement)
	if err != nil {
		t.Fatal(err)
	}
	// The default clients' client.created went to the outbox in the
	// consumer's transaction, once.
	events := iamtest.Outbox(pool)(t)
	if len(events) != 2 || events[0].Type != iam.TopicClientCreated || events[0].Subject != c.ID ||
		events[1].Type != iam.TopicClientCreated || events[1].Subject != rm.ID {
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
