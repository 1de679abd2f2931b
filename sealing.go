package opengate

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/users"
)

// ErrSecretKeyMismatch is in the chain of New's error when Config.SecretKey
// (and PreviousSecretKey, if set) is not the key a database's secrets are
// sealed with: New refuses to start rather than seal anything under the
// wrong key.
var ErrSecretKeyMismatch = errors.New("opengate: Config.SecretKey is not the key the databases' secrets are sealed with")

// linkSealer returns the sealer of the action links in events (the
// users.LinkPurpose subkey of Config.SecretKey, and of PreviousSecretKey
// during a rotation). Without a SecretKey (memory mode) the links are sealed
// under a key of this process: they only travel on its in-process bus.
func linkSealer(cfg Config) (*iamcrypto.Sealer, error) {
	key := cfg.SecretKey
	if key == nil {
		key = iamcrypto.GenerateKey()
	}
	var previous [][]byte
	if cfg.PreviousSecretKey != nil {
		previous = append(previous, cfg.PreviousSecretKey)
	}
	s, err := iamcrypto.NewSealerFor(users.LinkPurpose, key, previous...)
	if err != nil {
		return nil, fmt.Errorf("opengate: Config.SecretKey or PreviousSecretKey: %s", iam.ErrorMessage(err))
	}
	return s, nil
}

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
