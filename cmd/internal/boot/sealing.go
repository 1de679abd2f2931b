package boot

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/users"
)

// NewSealer returns the sealer of the deployment key (OPENGATE_SECRET_KEY):
// it seals under key and, during a key rotation (previous, from
// OPENGATE_SECRET_KEY_PREVIOUS, not nil), also opens values sealed under
// previous.
func NewSealer(key, previous []byte) (*iamcrypto.Sealer, error) {
	var prev [][]byte
	if previous != nil {
		prev = append(prev, previous)
	}
	s, err := iamcrypto.NewSealer(key, prev...)
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_SECRET_KEY: %s", iam.ErrorMessage(err))
	}
	return s, nil
}

// NewLinkSealer returns the sealer of the action links in events: the
// users.LinkPurpose subkey of the deployment key (and of previous, during a
// rotation). user-service seals with it, notification-service opens with
// it.
func NewLinkSealer(key, previous []byte) (*iamcrypto.Sealer, error) {
	var prev [][]byte
	if previous != nil {
		prev = append(prev, previous)
	}
	s, err := iamcrypto.NewSealerFor(users.LinkPurpose, key, prev...)
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_SECRET_KEY: %s", iam.ErrorMessage(err))
	}
	return s, nil
}

// CheckSealingKey makes sure sealer's key is the one the secrets in pool's
// database are sealed with (iampg.CheckSealingKey: recorded at first start,
// re-sealed under the new key during a rotation), and returns the readiness
// check that keeps verifying it. A binary calls it before it seals or opens
// anything and refuses to start on its error, which says what is wrong and
// how to rotate keys.
func CheckSealingKey(ctx context.Context, pool *pgxpool.Pool, sealer *iamcrypto.Sealer) (iamhttp.Check, error) {
	err := iampg.CheckSealingKey(ctx, pool, sealer)
	if errors.Is(err, iampg.ErrSealingKeyMismatch) {
		return nil, errors.New(MismatchMessage)
	}
	if err != nil {
		return nil, fmt.Errorf("check OPENGATE_SECRET_KEY against the database: %w", err)
	}
	return iampg.SealingKeyCheck(pool, sealer), nil
}

// MismatchMessage is the error of a binary started with a deployment key
// that is not its database's.
const MismatchMessage = "OPENGATE_SECRET_KEY is not the key this database's secrets are sealed with: " +
	"refusing to start, so that nothing is sealed under the wrong key. Start with the right key; " +
	"to rotate keys, set the new key as OPENGATE_SECRET_KEY and the old one as OPENGATE_SECRET_KEY_PREVIOUS"
