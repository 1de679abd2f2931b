package userspg

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg/internal/db"
)

func credentialFromRow(r db.UserCredential) users.Credential {
	return users.Credential{ID: r.ID, Type: r.Type, UserLabel: r.UserLabel, CreatedAt: r.CreatedAt.UTC(), Hash: r.Secret}
}

// GetPassword implements users.Store.
func (s *Store) GetPassword(ctx context.Context, realm iam.Realm, userID string) (users.Credential, error) {
	r, err := queries(s.db).GetCredential(ctx, db.GetCredentialParams{RealmName: string(realm), UserID: userID,
		Type: users.CredentialPassword})
	if err != nil {
		return users.Credential{}, mapError("userspg.GetPassword", err)
	}
	return credentialFromRow(r), nil
}

// PasswordHistory implements users.Store.
func (s *Store) PasswordHistory(ctx context.Context, realm iam.Realm, userID string, n int) ([]string, error) {
	if n <= 0 {
		return []string{}, nil
	}
	h, err := queries(s.db).ListHistory(ctx, db.ListHistoryParams{RealmName: string(realm), UserID: userID,
		MaxRows: int32(min(n, 1<<31-1))})
	if err != nil {
		return nil, mapError("userspg.PasswordHistory", err)
	}
	if h == nil {
		h = []string{}
	}
	return h, nil
}

// SetPassword implements users.Store. It locks the user's row, so
// concurrent changes of one user's password serialize.
func (s *Store) SetPassword(ctx context.Context, realm iam.Realm, userID string, c users.PasswordChange, events ...iam.Event) error {
	return s.tx(ctx, "userspg.SetPassword", events, func(q *db.Queries) error {
		if _, err := q.GetUserForUpdate(ctx, db.GetUserForUpdateParams{RealmName: string(realm), ID: userID}); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return notFound("user")
			}
			return err
		}
		cur, err := q.GetCredential(ctx, db.GetCredentialParams{RealmName: string(realm), UserID: userID,
			Type: users.CredentialPassword})
		switch {
		case err == nil:
			if err := q.AddHistory(ctx, db.AddHistoryParams{RealmName: string(realm), UserID: userID,
				Secret: cur.Secret, CreatedAt: cur.CreatedAt}); err != nil {
				return err
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if err := q.TrimHistory(ctx, db.TrimHistoryParams{RealmName: string(realm), UserID: userID,
			Keep: int32(min(max(c.KeepHistory, 0), 1<<31-1))}); err != nil {
			return err
		}
		if err := putPassword(ctx, q, realm, userID, c.Credential); err != nil {
			return err
		}
		if c.SetRequiredActions {
			_, err := q.SetRequiredActions(ctx, db.SetRequiredActionsParams{RealmName: string(realm), ID: userID,
				RequiredActions: actions(c.RequiredActions)})
			return err
		}
		return nil
	})
}

// RehashPassword implements users.Store.
func (s *Store) RehashPassword(ctx context.Context, realm iam.Realm, userID, oldHash, newHash string) error {
	n, err := queries(s.db).ReplaceSecret(ctx, db.ReplaceSecretParams{RealmName: string(realm), UserID: userID,
		Type: users.CredentialPassword, OldSecret: oldHash, NewSecret: newHash})
	if err != nil {
		return mapError("userspg.RehashPassword", err)
	}
	if n == 0 {
		return iam.Conflictf("password changed")
	}
	return nil
}

// DeletePassword implements users.Store.
func (s *Store) DeletePassword(ctx context.Context, realm iam.Realm, userID, credID string, events ...iam.Event) error {
	return s.tx(ctx, "userspg.DeletePassword", events, func(q *db.Queries) error {
		n, err := q.DeleteCredential(ctx, db.DeleteCredentialParams{RealmName: string(realm), UserID: userID, ID: credID})
		if err == nil && n == 0 {
			return notFound("credential")
		}
		return err
	})
}
