package authpg

import (
	"context"
	"crypto"
	"crypto/x509"
	"embed"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authpg/internal/db"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// migrations holds the auth schema (tern format). It is constant data.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MigrationName names the auth migration version table
// ("schema_version_auth").
const MigrationName = "auth"

// Migrate creates or updates the signing_keys table (and iampg's outbox and
// processed_events) in pool's database. Safe to call from several processes
// at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return iampg.Migrate(ctx, pool, migrations, MigrationName)
}

// KeyStore is the PostgreSQL auth.KeyStore. Private keys are stored as
// PKCS#8 sealed with its sealer, bound to their realm and kid; a row copied
// to another realm or kid does not open. The caller owns the database handle.
type KeyStore struct {
	db     iampg.DB
	sealer *iamcrypto.Sealer
}

var _ auth.KeyStore = (*KeyStore)(nil)

// NewKeyStore returns a KeyStore on db (a *pgxpool.Pool or a transaction),
// whose database Migrate has prepared, sealing private keys with sealer (the
// deployment key, OPENGATE_SECRET_KEY). A nil sealer is an error
// (CodeInvalid, field "sealer"). Each statement is bounded by its context's
// per-call budget (iampg.WithCallTimeouts).
func NewKeyStore(db iampg.DB, sealer *iamcrypto.Sealer) (*KeyStore, error) {
	if err := iamcrypto.Required(sealer, "signing keys"); err != nil {
		return nil, iam.Wrap("authpg.NewKeyStore", err)
	}
	return &KeyStore{db: iampg.WithCallTimeouts(db), sealer: sealer}, nil
}

// additionalData binds a sealed key to its row.
func additionalData(realm iam.Realm, kid string) []byte {
	return []byte("opengate/auth/signing-key/" + string(realm) + "/" + kid)
}

// ListKeys returns every key of realm, newest first. A key that does not
// open (a changed OPENGATE_SECRET_KEY) is CodeInternal.
func (s *KeyStore) ListKeys(ctx context.Context, realm iam.Realm) ([]auth.Key, error) {
	const op = "authpg.ListKeys"
	rows, err := db.New(s.db).ListKeys(ctx, string(realm))
	if err != nil {
		return nil, iampg.MapError(op, err)
	}
	keys := make([]auth.Key, 0, len(rows))
	for _, row := range rows {
		k, err := s.keyFromRow(row)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (s *KeyStore) keyFromRow(row db.SigningKey) (auth.Key, error) {
	realm := iam.Realm(row.RealmName)
	der, err := s.sealer.Open(row.PrivateKey, additionalData(realm, row.Kid))
	if err != nil {
		return auth.Key{}, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return auth.Key{}, &iam.Error{Code: iam.CodeInternal, Message: "stored signing key is unreadable", Err: err}
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return auth.Key{}, &iam.Error{Code: iam.CodeInternal, Message: "stored signing key cannot sign"}
	}
	k, err := auth.NewKey(realm, row.Algorithm, signer, row.CreatedAt)
	if err != nil {
		return auth.Key{}, err
	}
	if k.ID != row.Kid {
		return auth.Key{}, &iam.Error{Code: iam.CodeInternal, Message: "stored signing key does not match its kid"}
	}
	if row.RetiredAt != nil {
		k.RetiredAt = *row.RetiredAt
	}
	if row.ExpiresAt != nil {
		k.ExpiresAt = *row.ExpiresAt
	}
	return k, nil
}

// ActivateKey makes next the realm's active key in one transaction; the
// unique index on the realm's active key makes concurrent activations
// collide (CodeConflict) instead of both succeeding.
func (s *KeyStore) ActivateKey(ctx context.Context, next auth.Key, replaces string, keepUntil time.Time) error {
	const op = "authpg.ActivateKey"
	if err := next.Realm.Validate(); err != nil {
		return err
	}
	if next.ID == "" || next.Private == nil || !next.Active() {
		return iam.Invalidf("key", "an active key with id and private key is required")
	}
	der, err := x509.MarshalPKCS8PrivateKey(next.Private)
	if err != nil {
		return iam.Wrap(op, err)
	}
	sealed, err := s.sealer.Seal(der, additionalData(next.Realm, next.ID))
	if err != nil {
		return iam.Wrap(op, err)
	}
	return iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := db.New(tx)
		if replaces != "" {
			retired, expires := next.CreatedAt, keepUntil
			n, err := q.RetireActiveKey(ctx, db.RetireActiveKeyParams{RealmName: string(next.Realm), Kid: replaces,
				RetiredAt: &retired, ExpiresAt: &expires})
			if err != nil {
				return err
			}
			if n == 0 {
				return iam.Conflictf("the realm's active key has changed")
			}
		}
		return q.InsertKey(ctx, db.InsertKeyParams{RealmName: string(next.Realm), Kid: next.ID,
			Algorithm: next.Algorithm, PrivateKey: sealed, CreatedAt: next.CreatedAt})
	})
}

// DeleteRealmKeys deletes every key of realm.
func (s *KeyStore) DeleteRealmKeys(ctx context.Context, realm iam.Realm) error {
	return iampg.MapError("authpg.DeleteRealmKeys", db.New(s.db).DeleteRealmKeys(ctx, string(realm)))
}

// DeleteExpiredKeys deletes realm's retired keys that expired before t.
func (s *KeyStore) DeleteExpiredKeys(ctx context.Context, realm iam.Realm, t time.Time) error {
	_, err := db.New(s.db).DeleteExpiredKeys(ctx, db.DeleteExpiredKeysParams{RealmName: string(realm), ExpiresAt: &t})
	return iampg.MapError("authpg.DeleteExpiredKeys", err)
}
