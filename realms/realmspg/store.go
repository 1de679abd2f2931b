package realmspg

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmspg/internal/db"
)

// migrations holds the realms schema (tern format). It is constant data.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MigrationName names the realms migration version table
// ("schema_version_realms").
const MigrationName = "realms"

// Migrate creates or updates the realms table (and iampg's outbox and
// processed_events) in pool's database. Safe to call from several processes
// at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return iampg.Migrate(ctx, pool, migrations, MigrationName)
}

// Store is the PostgreSQL realms.Store. It seals SMTP passwords at rest
// with its sealer, bound to their realm. The caller owns the database
// handle; Store never closes it.
type Store struct {
	db     iampg.DB
	sealer *iamcrypto.Sealer
}

var _ realms.Store = (*Store)(nil)

// New returns a Store on db (a *pgxpool.Pool, or a transaction), whose
// database Migrate has prepared, sealing SMTP passwords with sealer (the
// deployment key, OPENGATE_SECRET_KEY). A nil sealer is an error
// (CodeInvalid, field "sealer"). Each statement is bounded by its context's
// per-call budget (iampg.WithCallTimeouts).
func New(db iampg.DB, sealer *iamcrypto.Sealer) (*Store, error) {
	if err := iamcrypto.Required(sealer, "SMTP passwords"); err != nil {
		return nil, iam.Wrap("realmspg.New", err)
	}
	return &Store{db: iampg.WithCallTimeouts(db), sealer: sealer}, nil
}

// tx runs fn in a transaction (a savepoint inside a caller's transaction)
// and writes events to the outbox in it. Errors are mapped once, here.
func (s *Store) tx(ctx context.Context, op string, fn func(q *db.Queries) ([]iam.Event, error)) error {
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		events, err := fn(db.New(tx))
		if err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	return iampg.MapError(op, err)
}

// Create implements realms.Store.
func (s *Store) Create(ctx context.Context, r realms.Realm, events ...iam.Event) error {
	const op = "realmspg.Create"
	row, err := s.toRow(r)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.tx(ctx, op, func(q *db.Queries) ([]iam.Event, error) {
		return events, q.CreateRealm(ctx, row)
	})
	switch {
	case iampg.SQLState(err) != "23505":
	case iampg.ConstraintName(err) == "realms_pkey":
		return &iam.Error{Code: iam.CodeConflict, Op: op, Field: "realm", Message: "realm \"" + string(r.Name) + "\" already exists", Err: err}
	case iampg.ConstraintName(err) == "realms_id_key":
		return &iam.Error{Code: iam.CodeConflict, Op: op, Field: "id", Message: "a realm with this id already exists", Err: err}
	}
	return err
}

// Get implements realms.Store.
func (s *Store) Get(ctx context.Context, name iam.Realm) (realms.Realm, error) {
	const op = "realmspg.Get"
	row, err := db.New(s.db).GetRealm(ctx, string(name))
	if err != nil {
		return realms.Realm{}, notFoundOr(op, name, err)
	}
	return s.fromRow(row)
}

// List implements realms.Store.
func (s *Store) List(ctx context.Context) ([]realms.Realm, error) {
	const op = "realmspg.List"
	rows, err := db.New(s.db).ListRealms(ctx)
	if err != nil {
		return nil, iampg.MapError(op, err)
	}
	out := make([]realms.Realm, 0, len(rows))
	for _, row := range rows {
		r, err := s.fromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Update implements realms.Store: the row is locked (SELECT ... FOR UPDATE)
// while fn runs.
func (s *Store) Update(ctx context.Context, name iam.Realm, fn func(*realms.Realm) ([]iam.Event, error)) (realms.Realm, error) {
	const op = "realmspg.Update"
	var out realms.Realm
	err := s.tx(ctx, op, func(q *db.Queries) ([]iam.Event, error) {
		row, err := q.LockRealm(ctx, string(name))
		if err != nil {
			return nil, notFoundOr(op, name, err)
		}
		cur, err := s.fromRow(row)
		if err != nil {
			return nil, err
		}
		next := cur.Clone()
		events, err := fn(&next)
		if err != nil {
			return nil, err
		}
		next.Name, next.ID, next.CreatedAt = cur.Name, cur.ID, cur.CreatedAt
		p, err := s.toRow(next)
		if err != nil {
			return nil, err
		}
		if _, err := q.UpdateRealm(ctx, updateParams(p)); err != nil {
			return nil, err
		}
		out = next
		return events, nil
	})
	if err != nil {
		return realms.Realm{}, err
	}
	return out, nil
}

// Delete implements realms.Store.
func (s *Store) Delete(ctx context.Context, name iam.Realm, events ...iam.Event) error {
	const op = "realmspg.Delete"
	return s.tx(ctx, op, func(q *db.Queries) ([]iam.Event, error) {
		n, err := q.DeleteRealm(ctx, string(name))
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, iam.NotFoundf("realm %q not found", name)
		}
		return events, nil
	})
}

func notFoundOr(op string, name iam.Realm, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "realm \"" + string(name) + "\" not found"}
	}
	return iampg.MapError(op, err)
}

// policy is the stored form of realms.PasswordPolicy.
type policy struct {
	MinLength       int  `json:"minLength,omitempty"`
	Digits          int  `json:"digits,omitempty"`
	UpperCase       int  `json:"upperCase,omitempty"`
	LowerCase       int  `json:"lowerCase,omitempty"`
	SpecialChars    int  `json:"specialChars,omitempty"`
	NotUsername     bool `json:"notUsername,omitempty"`
	NotEmail        bool `json:"notEmail,omitempty"`
	PasswordHistory int  `json:"passwordHistory,omitempty"`
	HashIterations  int  `json:"hashIterations,omitempty"`
	HashMemoryKiB   int  `json:"hashMemoryKiB,omitempty"`
}

// smtp is the stored form of realms.SMTP, without the password.
type smtp struct {
	Host         string `json:"host,omitempty"`
	Port         int    `json:"port,omitempty"`
	From         string `json:"from,omitempty"`
	FromName     string `json:"fromName,omitempty"`
	ReplyTo      string `json:"replyTo,omitempty"`
	ReplyToName  string `json:"replyToName,omitempty"`
	EnvelopeFrom string `json:"envelopeFrom,omitempty"`
	User         string `json:"user,omitempty"`
	StartTLS     bool   `json:"starttls,omitempty"`
	SSL          bool   `json:"ssl,omitempty"`
}

// smtpAD binds a sealed SMTP password to its realm.
func smtpAD(name iam.Realm) []byte { return []byte("realm/" + string(name) + "/smtp") }

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func duration(s int64) time.Duration { return time.Duration(s) * time.Second }

// toRow converts r for insertion, sealing the SMTP password.
func (s *Store) toRow(r realms.Realm) (db.CreateRealmParams, error) {
	pol, err := json.Marshal(policy(r.PasswordPolicy))
	if err != nil {
		return db.CreateRealmParams{}, err
	}
	mail, err := json.Marshal(smtp{Host: r.SMTP.Host, Port: r.SMTP.Port, From: r.SMTP.From, FromName: r.SMTP.FromName,
		ReplyTo: r.SMTP.ReplyTo, ReplyToName: r.SMTP.ReplyToName, EnvelopeFrom: r.SMTP.EnvelopeFrom,
		User: r.SMTP.User, StartTLS: r.SMTP.StartTLS, SSL: r.SMTP.SSL})
	if err != nil {
		return db.CreateRealmParams{}, err
	}
	var sealed []byte
	if r.SMTP.Password != "" {
		if sealed, err = s.sealer.Seal([]byte(r.SMTP.Password), smtpAD(r.Name)); err != nil {
			return db.CreateRealmParams{}, err
		}
	}
	attrs := r.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	rawAttrs, err := json.Marshal(attrs)
	if err != nil {
		return db.CreateRealmParams{}, err
	}
	cors := r.CORSOrigins
	if cors == nil {
		cors = []string{}
	}
	extra, err := iampg.ExtraJSON("realmspg.params", r.Extra)
	if err != nil {
		return db.CreateRealmParams{}, err
	}
	return db.CreateRealmParams{
		Name:                     string(r.Name),
		ID:                       r.ID,
		DisplayName:              r.DisplayName,
		Enabled:                  r.Enabled,
		AccessTokenLifespanS:     seconds(r.AccessTokenLifespan),
		SsoSessionIdleTimeoutS:   seconds(r.SSOSessionIdleTimeout),
		SsoSessionMaxLifespanS:   seconds(r.SSOSessionMaxLifespan),
		AccessCodeLifespanS:      seconds(r.AccessCodeLifespan),
		PasswordPolicy:           pol,
		BruteForceEnabled:        r.BruteForce.Enabled,
		FailureFactor:            int32(r.BruteForce.FailureFactor),
		WaitIncrementS:           seconds(r.BruteForce.WaitIncrement),
		MaxWaitS:                 seconds(r.BruteForce.MaxWait),
		ResetAfterS:              seconds(r.BruteForce.ResetAfter),
		MfaPolicy:                string(r.MFA),
		SigningAlgorithm:         r.SigningAlgorithm,
		Smtp:                     mail,
		SmtpPasswordSealed:       sealed,
		CorsOrigins:              cors,
		RegistrationAllowed:      r.RegistrationAllowed,
		DuplicateEmailsAllowed:   r.DuplicateEmailsAllowed,
		Attributes:               rawAttrs,
		CreatedAt:                r.CreatedAt,
		UpdatedAt:                r.UpdatedAt,
		OtpPolicyType:            r.OTP.Type,
		OtpPolicyAlgorithm:       r.OTP.Algorithm,
		OtpPolicyDigits:          int32(r.OTP.Digits),
		OtpPolicyPeriodS:         seconds(r.OTP.Period),
		OtpPolicyLookAheadWindow: int32(r.OTP.LookAheadWindow),
		LoginTheme:               r.LoginTheme,
		Extra:                    extra,
	}, nil
}

func updateParams(p db.CreateRealmParams) db.UpdateRealmParams {
	return db.UpdateRealmParams{
		Name:                     p.Name,
		DisplayName:              p.DisplayName,
		Enabled:                  p.Enabled,
		AccessTokenLifespanS:     p.AccessTokenLifespanS,
		SsoSessionIdleTimeoutS:   p.SsoSessionIdleTimeoutS,
		SsoSessionMaxLifespanS:   p.SsoSessionMaxLifespanS,
		AccessCodeLifespanS:      p.AccessCodeLifespanS,
		PasswordPolicy:           p.PasswordPolicy,
		BruteForceEnabled:        p.BruteForceEnabled,
		FailureFactor:            p.FailureFactor,
		WaitIncrementS:           p.WaitIncrementS,
		MaxWaitS:                 p.MaxWaitS,
		ResetAfterS:              p.ResetAfterS,
		MfaPolicy:                p.MfaPolicy,
		SigningAlgorithm:         p.SigningAlgorithm,
		Smtp:                     p.Smtp,
		SmtpPasswordSealed:       p.SmtpPasswordSealed,
		CorsOrigins:              p.CorsOrigins,
		RegistrationAllowed:      p.RegistrationAllowed,
		DuplicateEmailsAllowed:   p.DuplicateEmailsAllowed,
		Attributes:               p.Attributes,
		UpdatedAt:                p.UpdatedAt,
		OtpPolicyType:            p.OtpPolicyType,
		OtpPolicyAlgorithm:       p.OtpPolicyAlgorithm,
		OtpPolicyDigits:          p.OtpPolicyDigits,
		OtpPolicyPeriodS:         p.OtpPolicyPeriodS,
		OtpPolicyLookAheadWindow: p.OtpPolicyLookAheadWindow,
		LoginTheme:               p.LoginTheme,
		Extra:                    p.Extra,
	}
}

// fromRow converts a stored row, opening the SMTP password.
func (s *Store) fromRow(row db.Realm) (realms.Realm, error) {
	const op = "realmspg.fromRow"
	var pol policy
	var mail smtp
	var attrs map[string]string
	for _, f := range []struct {
		raw []byte
		v   any
	}{{row.PasswordPolicy, &pol}, {row.Smtp, &mail}, {row.Attributes, &attrs}} {
		if err := json.Unmarshal(f.raw, f.v); err != nil {
			return realms.Realm{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "stored realm is malformed", Err: err}
		}
	}
	r := realms.Realm{
		Name:                  iam.Realm(row.Name),
		ID:                    row.ID,
		DisplayName:           row.DisplayName,
		Enabled:               row.Enabled,
		AccessTokenLifespan:   duration(row.AccessTokenLifespanS),
		SSOSessionIdleTimeout: duration(row.SsoSessionIdleTimeoutS),
		SSOSessionMaxLifespan: duration(row.SsoSessionMaxLifespanS),
		AccessCodeLifespan:    duration(row.AccessCodeLifespanS),
		PasswordPolicy:        realms.PasswordPolicy(pol),
		BruteForce: realms.BruteForce{Enabled: row.BruteForceEnabled, FailureFactor: int(row.FailureFactor),
			WaitIncrement: duration(row.WaitIncrementS), MaxWait: duration(row.MaxWaitS), ResetAfter: duration(row.ResetAfterS)},
		MFA: realms.MFAPolicy(row.MfaPolicy),
		OTP: realms.OTPPolicy{Type: row.OtpPolicyType, Algorithm: row.OtpPolicyAlgorithm, Digits: int(row.OtpPolicyDigits),
			Period: duration(row.OtpPolicyPeriodS), LookAheadWindow: int(row.OtpPolicyLookAheadWindow)},
		SigningAlgorithm: row.SigningAlgorithm,
		SMTP: realms.SMTP{Host: mail.Host, Port: mail.Port, From: mail.From, FromName: mail.FromName,
			ReplyTo: mail.ReplyTo, ReplyToName: mail.ReplyToName, EnvelopeFrom: mail.EnvelopeFrom,
			User: mail.User, StartTLS: mail.StartTLS, SSL: mail.SSL},
		CORSOrigins:            row.CorsOrigins,
		RegistrationAllowed:    row.RegistrationAllowed,
		LoginTheme:             row.LoginTheme,
		DuplicateEmailsAllowed: row.DuplicateEmailsAllowed,
		Attributes:             attrs,
		CreatedAt:              row.CreatedAt.UTC(),
		UpdatedAt:              row.UpdatedAt.UTC(),
	}
	extra, err := iampg.ParseExtra(op, row.Extra)
	if err != nil {
		return realms.Realm{}, err
	}
	r.Extra = extra
	if len(row.SmtpPasswordSealed) > 0 {
		plain, err := s.sealer.Open(row.SmtpPasswordSealed, smtpAD(r.Name))
		if err != nil {
			return realms.Realm{}, iam.Wrap(op, err)
		}
		r.SMTP.Password = string(plain)
	}
	return r, nil
}
