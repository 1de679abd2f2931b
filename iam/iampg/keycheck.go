package iampg

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
)

// SealingKey is the deployment key's sealer as CheckSealingKey needs it;
// *iamcrypto.Sealer implements it. Open opens values sealed under the current
// key or a previous one (a key rotation); OpenCurrent only under the current
// key.
type SealingKey interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(sealed, additionalData []byte) ([]byte, error)
	OpenCurrent(sealed, additionalData []byte) ([]byte, error)
}

// ErrSealingKeyMismatch is the cause of CheckSealingKey's error when the
// database's check value opens under none of the given keys: the process
// was given another deployment key than the one the database's secrets are
// sealed with.
var ErrSealingKeyMismatch = errors.New("iampg: the deployment key does not match the key this database's secrets are sealed with")

// The check value: a constant, bound to its purpose by the additional data.
var (
	keyCheckPlain = []byte("opengate sealing key check v1")
	keyCheckAD    = []byte("opengate/sealing-key-check")
)

const (
	selectKeyCheck = `SELECT sealed FROM sealing_key_check WHERE id`
	insertKeyCheck = `INSERT INTO sealing_key_check (id, sealed) VALUES (true, $1) ON CONFLICT (id) DO NOTHING`
	rotateKeyCheck = `UPDATE sealing_key_check SET sealed = $1, updated_at = now() WHERE id AND sealed = $2`
)

// CheckSealingKey makes sure key is the key the secrets in db's database are
// sealed with, before the process seals or opens any of them. The database
// keeps a check value (table sealing_key_check, created by Migrate and
// MigrateShared):
//
//   - none yet (a new database, or the first start after upgrading): it is
//     written under key's current key; of processes starting at once with
//     different keys, the first to write wins and the others fail;
//   - it opens under the current key: nil;
//   - it opens only under a previous key (a rotation): it is re-sealed under
//     the current key, so processes still on the old key fail from now on
//     (their /readyz too, SealingKeyCheck), while values sealed under the
//     old key stay readable by processes given it as a previous key;
//   - it opens under none: an error wrapping ErrSealingKeyMismatch (code
//     internal), and the process must not start.
//
// Database failures are unavailable. Safe to call from several processes at
// once.
func CheckSealingKey(ctx context.Context, db DB, key SealingKey) error {
	const op = "iampg.CheckSealingKey"
	for attempt := 0; attempt < 3; attempt++ {
		var sealed []byte
		err := db.QueryRow(ctx, selectKeyCheck).Scan(&sealed)
		if err != nil {
			if !errors.Is(err, pgx.ErrNoRows) {
				return MapError(op, err)
			}
			fresh, err := key.Seal(keyCheckPlain, keyCheckAD)
			if err != nil {
				return iam.Wrap(op, err)
			}
			if _, err := db.Exec(ctx, insertKeyCheck, fresh); err != nil {
				return MapError(op, err)
			}
			continue // read back what won
		}
		if opensUnder(key.OpenCurrent, sealed) {
			return nil
		}
		if !opensUnder(key.Open, sealed) {
			return &iam.Error{Code: iam.CodeInternal, Op: op, Message: ErrSealingKeyMismatch.Error(), Err: ErrSealingKeyMismatch}
		}
		// Sealed under a previous key: verified, so re-seal it under the
		// current one (unless another process just did).
		resealed, err := key.Seal(keyCheckPlain, keyCheckAD)
		if err != nil {
			return iam.Wrap(op, err)
		}
		if _, err := db.Exec(ctx, rotateKeyCheck, resealed, sealed); err != nil {
			return MapError(op, err)
		}
	}
	return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "the key check value keeps changing, retry"}
}

// SealingKeyCheck returns a readiness check that fails unless db's check
// value opens under key's current key: a process whose key another process
// has rotated away from (or that never matched) reports not ready. It only
// reads.
func SealingKeyCheck(db DB, key SealingKey) func(context.Context) error {
	return func(ctx context.Context) error {
		const op = "iampg.SealingKeyCheck"
		var sealed []byte
		if err := db.QueryRow(ctx, selectKeyCheck).Scan(&sealed); err != nil {
			return MapError(op, err)
		}
		if !opensUnder(key.OpenCurrent, sealed) {
			return &iam.Error{Code: iam.CodeInternal, Op: op, Message: ErrSealingKeyMismatch.Error(), Err: ErrSealingKeyMismatch}
		}
		return nil
	}
}

// opensUnder reports whether open opens sealed to the check constant.
func opensUnder(open func(sealed, additionalData []byte) ([]byte, error), sealed []byte) bool {
	plain, err := open(sealed, keyCheckAD)
	return err == nil && subtle.ConstantTimeCompare(plain, keyCheckPlain) == 1
}
