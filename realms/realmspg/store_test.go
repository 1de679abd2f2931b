package realmspg_test

import (
	"context"
	"encoding/json"
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
		return realmstest.Harness{Store: realmspg.New(pool, realmspg.WithSealer(sealer(t))), Events: outbox(pool)}
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

func sealer(t testing.TB) *iamcrypto.Sealer {
	t.Helper()
	s, err := iamcrypto.NewSealer(iamcrypto.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
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

func TestSMTPPasswordIsSealedAtRest(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	key := sealer(t)
	svc := realms.New(realmspg.New(pool, realmspg.WithSealer(key)))
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
	_, err = realmspg.New(pool, realmspg.WithSealer(sealer(t))).Get(ctx, "acme")
	if iam.ErrorCode(err) != iam.CodeInternal || strings.Contains(err.Error(), "smtp-secret-value") {
		t.Fatalf("wrong key: %v", err)
	}
	// Without a key, a password is refused rather than stored in plain text.
	noKey := realms.New(realmspg.New(pool))
	_, err = noKey.Create(ctx, realms.Realm{Name: "beta", SMTP: realms.SMTP{Host: "mx", From: "a@b.test", User: "u", Password: "p"}})
	if iam.ErrorField(err) != "smtpServer.password" {
		t.Fatalf("no key: %v", err)
	}
	if _, err := noKey.Create(ctx, realms.Realm{Name: "beta", SMTP: realms.SMTP{Host: "mx", From: "a@b.test"}}); err != nil {
		t.Fatalf("no key, no password: %v", err)
	}
}

func TestServiceOverPostgresRecordsEventsInTheOutbox(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	svc := realms.New(realmspg.New(pool))
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
	for _, e := range outbox(pool)(t) {
		topics = append(topics, e.Type+":"+string(e.Realm))
	}
	want := "realm.created:master realm.created:acme realm.updated:acme realm.deleted:acme"
	if strings.Join(topics, " ") != want {
		t.Fatalf("outbox = %v, want %s", topics, want)
	}
}
