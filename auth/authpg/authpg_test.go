package authpg_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authpg"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/realms"
)

func newStore(t *testing.T) (*authpg.KeyStore, *iamcrypto.Sealer) {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := authpg.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	sealer, err := iamcrypto.NewSealer(iamcrypto.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return keyStore(t, pool, sealer), sealer
}

// keyStore returns a KeyStore on pool sealing with sealer.
func keyStore(t *testing.T, pool *pgxpool.Pool, sealer *iamcrypto.Sealer) *authpg.KeyStore {
	t.Helper()
	s, err := authpg.NewKeyStore(pool, sealer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewKeyStoreRequiresASealer(t *testing.T) {
	s, err := authpg.NewKeyStore(nil, nil)
	if s != nil || iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "sealer" {
		t.Fatalf("NewKeyStore(db, nil) = %v, %v; want no store and an error naming the sealer", s, err)
	}
}

func TestKeyStore(t *testing.T) {
	authtest.RunKeyStore(t, func(t *testing.T) authtest.KeyStoreHarness {
		s, _ := newStore(t)
		return authtest.KeyStoreHarness{Store: s}
	})
}

func TestPrivateKeysAreSealedAtRest(t *testing.T) {
	pool := iamtest.Postgres(t)
	ctx := context.Background()
	if err := authpg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	sealer, _ := iamcrypto.NewSealer(iamcrypto.GenerateKey())
	store := keyStore(t, pool, sealer)
	k, err := auth.GenerateKey("acme", realms.AlgEdDSA, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ActivateKey(ctx, k, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := pool.QueryRow(ctx, "SELECT private_key FROM signing_keys WHERE realm_name = 'acme'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	seed := k.Private.(interface{ Seed() []byte }).Seed()
	if bytes.Contains(stored, seed) {
		t.Fatal("the private key is stored in plain text")
	}
	// Another deployment key cannot read it, and says so without leaking.
	other, _ := iamcrypto.NewSealer(iamcrypto.GenerateKey())
	_, err = keyStore(t, pool, other).ListKeys(ctx, "acme")
	if !errors.Is(err, iam.ErrInternal) {
		t.Fatalf("ListKeys with another key: %v", err)
	}
	// A sealed key moved to another realm does not open.
	if _, err := pool.Exec(ctx, "UPDATE signing_keys SET realm_name = 'evil' WHERE realm_name = 'acme'"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ListKeys(ctx, "evil"); !errors.Is(err, iam.ErrInternal) {
		t.Fatalf("moved key: %v", err)
	}
}

func TestOutboxWritesEvents(t *testing.T) {
	pool := iamtest.Postgres(t)
	ctx := context.Background()
	if err := authpg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	e, err := iam.NewEvent(auth.EventSource, iam.TopicLoginSuccess, "acme", "u1", auth.LoginSuccessEvent{UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := authpg.NewOutbox(pool).Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	var topic, key string
	if err := pool.QueryRow(ctx, "SELECT topic, key FROM outbox WHERE event_id = $1", e.ID).Scan(&topic, &key); err != nil {
		t.Fatal(err)
	}
	if topic != iam.TopicLoginSuccess || key != "acme/u1" {
		t.Fatalf("outbox row = %s %s", topic, key)
	}
}
