package userspg

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg/internal/db"
)

// Import implements users.Store in one transaction: existing usernames are
// locked as they are found, the outcomes' events go to the outbox with the
// batch, and any error rolls everything back.
func (s *Store) Import(ctx context.Context, realm iam.Realm, b users.ImportBatch) ([]users.ImportOutcome, error) {
	var outcomes []users.ImportOutcome
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		outcomes = make([]users.ImportOutcome, 0, len(b.Items))
		q := queries(tx)
		var events []iam.Event
		for _, it := range b.Items {
			o, err := importOne(ctx, q, realm, b, it)
			if err != nil {
				return err
			}
			outcomes = append(outcomes, o)
			if b.Events != nil {
				events = append(events, b.Events(o)...)
			}
		}
		return iampg.Write(ctx, tx, events...)
	})
	if err != nil {
		return nil, mapError("userspg.Import", err)
	}
	return outcomes, nil
}

// importOne applies one item inside the batch's transaction.
func importOne(ctx context.Context, q *db.Queries, realm iam.Realm, b users.ImportBatch, it users.ImportItem) (users.ImportOutcome, error) {
	u := it.User
	u.Realm = realm
	existing, err := q.GetUserByUsernameForUpdate(ctx, db.GetUserByUsernameForUpdateParams{RealmName: string(realm), Username: u.Username})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		p, err := createParams(u, b.UniqueEmail)
		if err != nil {
			return users.ImportOutcome{}, err
		}
		if err := q.CreateUser(ctx, p); err != nil {
			return users.ImportOutcome{}, err
		}
		if it.Password != nil {
			if err := putPassword(ctx, q, realm, u.ID, *it.Password); err != nil {
				return users.ImportOutcome{}, err
			}
		}
		return users.ImportOutcome{Action: users.ImportAdded, User: u}, nil
	case err != nil:
		return users.ImportOutcome{}, err
	}
	old, err := userFromRow(existing)
	if err != nil {
		return users.ImportOutcome{}, err
	}
	switch b.Mode {
	case users.ImportSkip:
		return users.ImportOutcome{Action: users.ImportSkipped, User: old}, nil
	case users.ImportOverwrite:
		if b.MayOverwrite != nil {
			if err := b.MayOverwrite(old); err != nil {
				return users.ImportOutcome{}, err
			}
		}
	default:
		return users.ImportOutcome{}, errUsernameTaken()
	}
	u.ID, u.CreatedAt = old.ID, old.CreatedAt
	p, err := updateParams(u, b.UniqueEmail)
	if err != nil {
		return users.ImportOutcome{}, err
	}
	if _, err := q.UpdateUser(ctx, p); err != nil {
		return users.ImportOutcome{}, err
	}
	if err := q.DeleteCredentialsOfUser(ctx, db.DeleteCredentialsOfUserParams{RealmName: string(realm), UserID: u.ID}); err != nil {
		return users.ImportOutcome{}, err
	}
	if it.Password != nil {
		if err := putPassword(ctx, q, realm, u.ID, *it.Password); err != nil {
			return users.ImportOutcome{}, err
		}
	}
	return users.ImportOutcome{Action: users.ImportOverwritten, User: u}, nil
}
