package mfapg

import (
	"context"
	"embed"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfapg/internal/db"
)

// migrations holds the factors schema (tern format). It is constant data.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MigrationName names the MFA migration version table
// ("schema_version_mfa").
const MigrationName = "mfa"

// Constraints whose violations name a field.
const (
	primaryKey        = "factors_pkey"
	uniqueRecoverySet = "factors_one_recovery_set_key"
)

// Migrate creates or updates the factors table (and iampg's outbox and
// processed_events) in pool's database. Safe to call from several
// processes at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return iampg.Migrate(ctx, pool, migrations, MigrationName)
}

// Store is the PostgreSQL mfa.Store. It seals TOTP secrets at rest with its
// sealer, bound to their realm, user and factor id. The caller owns the
// database handle; Store never closes it.
type Store struct {
	db     iampg.DB
	sealer *iamcrypto.Sealer
}

var _ mfa.Store = (*Store)(nil)

// New returns a Store on db (a *pgxpool.Pool, or a transaction), whose
// database Migrate has prepared, sealing TOTP secrets with sealer (the
// deployment key, OPENGATE_SECRET_KEY). A nil sealer is an error
// (CodeInvalid, field "sealer"). Each statement is bounded by its context's
// per-call budget (iampg.WithCallTimeouts).
func New(db iampg.DB, sealer *iamcrypto.Sealer) (*Store, error) {
	if err := iamcrypto.Required(sealer, "TOTP secrets"); err != nil {
		return nil, iam.Wrap("mfapg.New", err)
	}
	return &Store{db: iampg.WithCallTimeouts(db), sealer: sealer}, nil
}

// additionalData binds a sealed secret to its factor.
func additionalData(realm iam.Realm, userID, id string) []byte {
	return []byte("mfa/" + string(realm) + "/" + userID + "/" + id)
}

// mapError maps database errors once: a taken id or a second set of
// recovery codes is a conflict naming the field.
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "factor not found"}
	}
	if iampg.SQLState(err) == "23505" {
		switch iampg.ConstraintName(err) {
		case primaryKey:
			return &iam.Error{Code: iam.CodeConflict, Op: op, Field: "id", Message: "a factor with this id already exists", Err: err}
		case uniqueRecoverySet:
			return &iam.Error{Code: iam.CodeConflict, Op: op, Field: "type", Message: "the user has recovery codes already", Err: err}
		}
	}
	return iampg.MapError(op, err)
}

// Create implements mfa.Store.
func (s *Store) Create(ctx context.Context, f mfa.Factor) error {
	const op = "mfapg.Create"
	p, err := s.toParams(f)
	if err != nil {
		return iam.Wrap(op, err)
	}
	return mapError(op, db.New(s.db).CreateFactor(ctx, p))
}

// Get implements mfa.Store.
func (s *Store) Get(ctx context.Context, realm iam.Realm, userID, id string) (mfa.Factor, error) {
	const op = "mfapg.Get"
	row, err := db.New(s.db).GetFactor(ctx, db.GetFactorParams{RealmName: string(realm), UserID: userID, ID: id})
	if err != nil {
		return mfa.Factor{}, mapError(op, err)
	}
	return s.fromRow(op, row)
}

// List implements mfa.Store.
func (s *Store) List(ctx context.Context, realm iam.Realm, userID string) ([]mfa.Factor, error) {
	const op = "mfapg.List"
	rows, err := db.New(s.db).ListFactors(ctx, db.ListFactorsParams{RealmName: string(realm), UserID: userID})
	if err != nil {
		return nil, mapError(op, err)
	}
	out := make([]mfa.Factor, 0, len(rows))
	for _, row := range rows {
		f, err := s.fromRow(op, row)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Update implements mfa.Store: the row is locked (SELECT ... FOR UPDATE)
// while fn runs.
func (s *Store) Update(ctx context.Context, realm iam.Realm, userID, id string, fn func(*mfa.Factor) error) (mfa.Factor, error) {
	const op = "mfapg.Update"
	var out mfa.Factor
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := db.New(tx)
		row, err := q.LockFactor(ctx, db.LockFactorParams{RealmName: string(realm), UserID: userID, ID: id})
		if err != nil {
			return err
		}
		cur, err := s.fromRow(op, row)
		if err != nil {
			return err
		}
		next := cur.Clone()
		if err := fn(&next); err != nil {
			return err
		}
		next.ID, next.Realm, next.UserID, next.Type = cur.ID, cur.Realm, cur.UserID, cur.Type
		p, err := s.toParams(next)
		if err != nil {
			return err
		}
		if _, err := q.UpdateFactor(ctx, db.UpdateFactorParams{RealmName: p.RealmName, UserID: p.UserID, ID: p.ID,
			Label: p.Label, CreatedAt: p.CreatedAt, ConfirmedAt: p.ConfirmedAt, SecretSealed: p.SecretSealed,
			Algorithm: p.Algorithm, Digits: p.Digits, PeriodS: p.PeriodS, CodeHashes: p.CodeHashes}); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		// fn's *iam.Error comes back unchanged; another error of fn stays
		// in the chain (errors.Is finds it).
		return mfa.Factor{}, mapError(op, err)
	}
	return out, nil
}

// Delete implements mfa.Store.
func (s *Store) Delete(ctx context.Context, realm iam.Realm, userID, id string) error {
	const op = "mfapg.Delete"
	n, err := db.New(s.db).DeleteFactor(ctx, db.DeleteFactorParams{RealmName: string(realm), UserID: userID, ID: id})
	if err != nil {
		return mapError(op, err)
	}
	if n == 0 {
		return mapError(op, pgx.ErrNoRows)
	}
	return nil
}

// DeleteUser implements mfa.Store.
func (s *Store) DeleteUser(ctx context.Context, realm iam.Realm, userID string) (int, error) {
	n, err := db.New(s.db).DeleteUserFactors(ctx, db.DeleteUserFactorsParams{RealmName: string(realm), UserID: userID})
	if err != nil {
		return 0, mapError("mfapg.DeleteUser", err)
	}
	return int(n), nil
}

// DeleteRealm implements mfa.Store.
func (s *Store) DeleteRealm(ctx context.Context, realm iam.Realm) (int, error) {
	n, err := db.New(s.db).DeleteRealmFactors(ctx, string(realm))
	if err != nil {
		return 0, mapError("mfapg.DeleteRealm", err)
	}
	return int(n), nil
}

// Once implements mfa.Store with iampg.HandleOnce: fn's store works in the
// transaction that records the event in processed_events, so the effect
// and the record commit together. eventID must be a UUID (CodeInvalid
// otherwise).
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(mfa.Store) error) error {
	return iampg.HandleOnce(ctx, s.db, consumer, iam.Event{ID: eventID}, func(tx pgx.Tx) error {
		return fn(&Store{db: tx, sealer: s.sealer})
	})
}

// toParams converts a factor for insertion, sealing its secret.
func (s *Store) toParams(f mfa.Factor) (db.CreateFactorParams, error) {
	var sealed []byte
	if len(f.Secret) > 0 {
		var err error
		if sealed, err = s.sealer.Seal(f.Secret, additionalData(f.Realm, f.UserID, f.ID)); err != nil {
			return db.CreateFactorParams{}, err
		}
	}
	hashes := f.CodeHashes
	if hashes == nil {
		hashes = [][]byte{}
	}
	var confirmed pgtype.Timestamptz
	if f.Confirmed() {
		confirmed = pgtype.Timestamptz{Time: f.ConfirmedAt, Valid: true}
	}
	return db.CreateFactorParams{
		RealmName:    string(f.Realm),
		ID:           f.ID,
		UserID:       f.UserID,
		Type:         f.Type,
		Label:        f.Label,
		CreatedAt:    f.CreatedAt,
		ConfirmedAt:  confirmed,
		SecretSealed: sealed,
		Algorithm:    f.Algorithm,
		Digits:       int32(f.Digits),
		PeriodS:      int64(f.Period / time.Second),
		CodeHashes:   hashes,
	}, nil
}

// fromRow converts a stored row, opening its secret. A secret that does
// not open (another deployment key, a row moved to another factor) is
// CodeInternal.
func (s *Store) fromRow(op string, row db.Factor) (mfa.Factor, error) {
	f := mfa.Factor{
		ID:         row.ID,
		Realm:      iam.Realm(row.RealmName),
		UserID:     row.UserID,
		Type:       row.Type,
		Label:      row.Label,
		CreatedAt:  row.CreatedAt.UTC(),
		Algorithm:  row.Algorithm,
		Digits:     int(row.Digits),
		Period:     time.Duration(row.PeriodS) * time.Second,
		CodeHashes: row.CodeHashes,
	}
	if row.ConfirmedAt.Valid {
		f.ConfirmedAt = row.ConfirmedAt.Time.UTC()
	}
	if len(row.SecretSealed) > 0 {
		plain, err := s.sealer.Open(row.SecretSealed, additionalData(f.Realm, f.UserID, f.ID))
		if err != nil {
			return mfa.Factor{}, iam.Wrap(op, err)
		}
		f.Secret = plain
	}
	return f, nil
}
