package opengate

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// ErrSecretKeyMismatch is in the chain of New's error when Config.SecretKey
// (and PreviousSecretKey, if set) is not the key a database's secrets are
// sealed with: New refuses to start rather than seal anything under the
// wrong key.
var ErrSecretKeyMismatch = errors.New("opengate: Config.SecretKey is not the key the databases' secrets are sealed with")

// checkSealingKey checks sealer against every service database's recorded
// key (iampg.CheckSealingKey): recorded at first start, re-sealed under the
// new key when PreviousSecretKey proves a rotation.
func checkSealingKey(ctx context.Context, d *Databases, sealer *iamcrypto.Sealer) error {
	for _, db := range d.list() {
		err := iampg.CheckSealingKey(ctx, *db.pool, sealer)
		if errors.Is(err, iampg.ErrSealingKeyMismatch) {
			return fmt.Errorf("%w (the %s database); to rotate keys, give the new key as SecretKey and the old one as PreviousSecretKey",
				ErrSecretKeyMismatch, db.name)
		}
		if err != nil {
			return fmt.Errorf("check the secret key against the %s database: %w", db.name, err)
		}
	}
	return nil
}
