package userspg

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg/internal/db"
)

func tokenFromRow(r db.UserActionToken) users.ActionToken {
	return users.ActionToken{Realm: iam.Realm(r.RealmName), Hash: r.TokenHash, UserID: r.UserID, Action: r.Action,
		Email: r.Email, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
}

// CreateToken implements users.Store.
func (s *Store) CreateToken(ctx context.Context, t users.ActionToken, events ...iam.Event) error {
	return s.tx(ctx, "userspg.CreateToken", events, func(q *db.Queries) error {
		if _, err := q.GetUserForUpdate(ctx, db.GetUserForUpdateParams{RealmName: string(t.Realm), ID: t.UserID}); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return notFound("user")
			}
			return err
		}
		if err := q.DeleteStaleTokens(ctx, db.DeleteStaleTokensParams{RealmName: string(t.Realm), UserID: t.UserID,
			Action: t.Action, Now: t.CreatedAt}); err != nil {
			return err
		}
		return q.CreateToken(ctx, db.CreateTokenParams{RealmName: string(t.Realm), TokenHash: t.Hash, UserID: t.UserID,
			Action: t.Action, Email: t.Email, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt})
	})
}

// GetToken implements users.Store.
func (s *Store) GetToken(ctx context.Context, realm iam.Realm, hash string) (users.ActionToken, error) {
	r, err := queries(s.db).GetToken(ctx, db.GetTokenParams{RealmName: string(realm), TokenHash: hash})
	if err != nil {
		return users.ActionToken{}, mapError("userspg.GetToken", err)
	}
	return tokenFromRow(r), nil
}

// ConsumeToken implements users.Store: the DELETE ... RETURNING lets exactly
// one of concurrent callers have the row.
func (s *Store) ConsumeToken(ctx context.Context, realm iam.Realm, hash string) (users.ActionToken, error) {
	r, err := queries(s.db).ConsumeToken(ctx, db.ConsumeTokenParams{RealmName: string(realm), TokenHash: hash})
	if err != nil {
		return users.ActionToken{}, mapError("userspg.ConsumeToken", err)
	}
	return tokenFromRow(r), nil
}
