package mfapg_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfapg"
	"github.com/opengate-iam/opengate/mfa/mfaredis"
	"github.com/opengate-iam/opengate/mfa/mfatest"
)

func TestStore(t *testing.T) {
	mfatest.RunStore(t, func(t *testing.T) mfatest.StoreHarness {
		return mfatest.StoreHarness{Store: newStore(t, migrated(t), newSealer(t)), OnceIsAtomic: true}
	})
}

// TestService runs the Service's rules on PostgreSQL and Redis, as
// production does.
func TestService(t *testing.T) {
	mfatest.RunService(t, func(t *testing.T) mfatest.ServiceHarness {
		rc, prefix := iamtest.Redis(t)
		return mfatest.ServiceHarness{Store: newStore(t, migrated(t), newSealer(t)),
			State: mfaredis.New(rc, mfaredis.WithPrefix(prefix))}
	})
}

// migrated returns a pool on a fresh, migrated database.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := mfapg.Migrate(context.Background(), pool); err != nil {
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

func newStore(t testing.TB, pool *pgxpool.Pool, sealer *iamcrypto.Sealer) *mfapg.Store {
	t.Helper()
	s, err := mfapg.New(pool, sealer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewRequiresASealer(t *testing.T) {
	s, err := mfapg.New(nil, nil)
	if s != nil || iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "sealer" {
		t.Fatalf("New(db, nil) = %v, %v; want no store and an error naming the sealer", s, err)
	}
}

func TestSecretsAreNeverStoredInPlainText(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	store := newStore(t, pool, newSealer(t))
	secret := []byte("the-plain-totp-secret")
	f := mfa.Factor{ID: iam.NewID(), Realm: "acme", UserID: "u1", Type: mfa.TypeTOTP, Secret: secret,
		Algorithm: "HmacSHA1", Digits: 6, Period: 30e9}
	if err := store.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
	var dump string
	if err := pool.QueryRow(ctx, `SELECT row_to_json(factors)::text || encode(secret_sealed, 'escape') FROM factors WHERE realm_name = 'acme'`).Scan(&dump); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, string(secret)) || strings.Contains(dump, mfa.EncodeSecret(secret)) {
		t.Fatalf("secret in the database: %s", dump)
	}
	if got, err := store.Get(ctx, "acme", "u1", f.ID); err != nil || string(got.Secret) != string(secret) {
		t.Fatalf("Get = %q, %v", got.Secret, err)
	}
	// Another deployment key cannot open it; the error says why, not what.
	_, err := newStore(t, pool, newSealer(t)).Get(ctx, "acme", "u1", f.ID)
	if iam.ErrorCode(err) != iam.CodeInternal || strings.Contains(err.Error(), string(secret)) {
		t.Fatalf("wrong key: %v", err)
	}
	// Bound to its factor: moved to another user's row, it does not open.
	other := f
	other.ID, other.UserID = iam.NewID(), "u2"
	if err := store.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE factors SET secret_sealed = (SELECT secret_sealed FROM factors WHERE realm_name = 'acme' AND id = $1) WHERE realm_name = 'acme' AND id = $2`, f.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, "acme", "u2", other.ID); iam.ErrorCode(err) != iam.CodeInternal {
		t.Fatalf("moved secret: %v", err)
	}
}

func TestUserDeletedTakesEffectOnce(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	store := newStore(t, pool, newSealer(t))
	rc, prefix := iamtest.Redis(t)
	svc := mfa.New(store, mfaredis.New(rc, mfaredis.WithPrefix(prefix)), nil)
	f := mfa.Factor{ID: iam.NewID(), Realm: "acme", UserID: "u1", Type: mfa.TypeRecoveryCodes, CodeHashes: [][]byte{{1}}}
	if err := store.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
	deleted, _ := iam.NewEvent("/opengate/users", iam.TopicUserDeleted, "acme", "u1", nil)
	for range 2 {
		if err := svc.HandleEvent(ctx, deleted); err != nil {
			t.Fatal(err)
		}
	}
	var processed, left int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM processed_events WHERE consumer = $1), (SELECT count(*) FROM factors WHERE realm_name = 'acme')`,
		mfa.Consumer).Scan(&processed, &left); err != nil {
		t.Fatal(err)
	}
	if processed != 1 || left != 0 {
		t.Fatalf("processed_events = %d, factors left = %d; want 1, 0", processed, left)
	}
}

func TestOutboxRecordsOTPSent(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	e, _ := iam.NewEvent(mfa.Source, iam.TopicOTPSent, "acme", "u1", mfa.OTPSentEvent{UserID: "u1", Channel: mfa.ChannelEmail})
	if err := mfapg.NewOutbox(pool).Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	events := iamtest.Outbox(pool)(t)
	if len(events) != 1 || events[0].ID != e.ID || events[0].Type != iam.TopicOTPSent {
		t.Fatalf("outbox = %+v", events)
	}
}
