package realmspg_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmspg"
	"github.com/opengate-iam/opengate/realms/realmstest"
)

func TestStore(t *testing.T) {
	realmstest.Run(t, func(t *testing.T) realmstest.Harness {
		pool := migrated(t)
		return realmstest.Harness{Store: newStore(t, pool, sealer(t)), Events: iamtest.Outbox(pool)}
	})
}

// migrated returns a pool on a fresh, migrated database.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := realmspg.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

func newStore(t testing.TB, pool *pgxpool.Pool, sealer *iamcrypto.Sealer) *realmspg.Store {
	t.Helper()
	s, err := realmspg.New(pool, sealer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sealer(t testing.TB) *iamcrypto.Sealer {
	t.Helper()
	s, err := iamcrypto.NewSealer(iamcrypto.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMTPPasswordIsSealedAtRest(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	key := sealer(t)
	svc := realms.New(newStore(t, pool, key))
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme",
		SMTP: realms.SMTP{Host: "mx", From: "a@acme.test", User: "u", Password: "smtp-secret-value"}}); err != nil {
		t.Fatal(err)
	}
	var dump string
	if err := pool.QueryRow(ctx, `SELECT row_to_json(realms)::text FROM realms WHERE name = 'acme'`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, "smtp-secret-value") {
		t.Fatalf("SMTP password stored in plain text: %s", dump)
	}
	r, err := svc.Get(ctx, "acme")
	if err != nil || r.SMTP.Password != "smtp-secret-value" {
		t.Fatalf("Get = %+v, %v", r.SMTP, err)
	}
	// Another key cannot read it, and says so without leaking anything.
	_, err = newStore(t, pool, sealer(t)).Get(ctx, "acme")
	if iam.ErrorCode(err) != iam.CodeInternal || strings.Contains(err.Error(), "smtp-secret-value") {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestNewRequiresASealer(t *testing.T) {
	store, err := realmspg.New(nil, nil)
	if store != nil || iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "sealer" {
		t.Fatalf("New(pool, nil) = %v, %v; want no store and an error naming the sealer", store, err)
	}
}

func TestServiceOverPostgresRecordsEventsInTheOutbox(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	svc := realms.New(newStore(t, pool, sealer(t)))
	if _, err := svc.EnsureMaster(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureMaster(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	name := "Acme"
	if _, err := svc.Update(ctx, "acme", realms.Update{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	bad := realms.MFAPolicy("x")
	if _, err := svc.Update(ctx, "acme", realms.Update{MFA: &bad}); iam.ErrorField(err) != "mfaPolicy" {
		t.Fatalf("invalid update: %v", err)
	}
	if err := svc.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, e := range iamtest.Outbox(pool)(t) {
		topics = append(topics, e.Type+":"+string(e.Realm))
	}
	want := "realm.created:master realm.created:acme realm.updated:acme realm.deleted:acme"
	if strings.Join(topics, " ") != want {
		t.Fatalf("outbox = %v, want %s", topics, want)
	}
}
