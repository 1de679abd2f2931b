package notifypg

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifypg/internal/db"
)

// migrations holds the notifications schema (tern format). It is constant
// data.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MigrationName names the notifications migration version table
// ("schema_version_notifications").
const MigrationName = "notifications"

// Migrate creates or updates the notify tables (and iampg's outbox,
// processed_events and sealing_key_check) in pool's database. Safe to call
// from several processes at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return iampg.Migrate(ctx, pool, migrations, MigrationName)
}

// Store is the PostgreSQL notify.Store. The caller owns the database
// handle; Store never closes it.
type Store struct {
	db iampg.DB
}

var _ notify.Store = (*Store)(nil)

// New returns a Store on db (a *pgxpool.Pool, or a transaction), whose
// database Migrate has prepared. Each statement is bounded by its
// context's per-call budget (iampg.WithCallTimeouts).
func New(db iampg.DB) *Store {
	return &Store{db: iampg.WithCallTimeouts(db)}
}

// tx runs fn in a transaction (a savepoint inside a caller's transaction).
// Errors are mapped once, here.
func (s *Store) tx(ctx context.Context, op string, fn func(q *db.Queries) error) error {
	return mapError(op, iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error { return fn(db.New(tx)) }))
}

// mapError maps database errors: no row is not-found, a taken id a
// conflict.
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *iam.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "not found"}
	}
	if iampg.SQLState(err) == "23505" && iampg.ConstraintName(err) == "deliveries_pkey" {
		return &iam.Error{Code: iam.CodeConflict, Op: op, Field: "id", Message: "a delivery with this id already exists", Err: err}
	}
	return iampg.MapError(op, err)
}

// Enqueue implements notify.Store.
func (s *Store) Enqueue(ctx context.Context, d notify.Delivery) (notify.Delivery, bool, error) {
	const op = "notifypg.Enqueue"
	p, err := toParams(d)
	if err != nil {
		return notify.Delivery{}, false, iam.Wrap(op, err)
	}
	var out notify.Delivery
	created := false
	// The delivery and its queue row are one statement, atomic by itself
	// (no transaction or savepoint needed): a new delivery costs one round
	// trip, the consumer's hot path inside its batch. An existing one is
	// then read.
	q := db.New(s.db)
	row, err := q.InsertDelivery(ctx, p)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		var existing db.Delivery
		existing, err = q.GetDeliveryByEvent(ctx, db.GetDeliveryByEventParams{RealmName: p.RealmName, EventID: p.EventID, Kind: p.Kind})
		if err == nil {
			out, err = fromRow(existing)
		}
	case err == nil:
		created = true
		out, err = fromRow(db.Delivery(row))
	}
	err = mapError(op, err)
	if err != nil {
		return notify.Delivery{}, false, err
	}
	return out, created, nil
}

// schedule keeps d's queue row in step with its status: due at
// NextAttemptAt while pending, none otherwise.
func schedule(ctx context.Context, q *db.Queries, d notify.Delivery) error {
	if d.Status == notify.StatusPending {
		return q.Schedule(ctx, db.ScheduleParams{RealmName: string(d.Realm), DeliveryID: d.ID, DueAt: d.NextAttemptAt})
	}
	return q.Unschedule(ctx, db.UnscheduleParams{RealmName: string(d.Realm), DeliveryID: d.ID})
}

// Get implements notify.Store.
func (s *Store) Get(ctx context.Context, realm iam.Realm, id string) (notify.Delivery, error) {
	const op = "notifypg.Get"
	row, err := db.New(s.db).GetDelivery(ctx, db.GetDeliveryParams{RealmName: string(realm), ID: id})
	if err != nil {
		return notify.Delivery{}, mapError(op, err)
	}
	return fromRow(row)
}

// List implements notify.Store.
func (s *Store) List(ctx context.Context, realm iam.Realm, f notify.Filter) ([]notify.Delivery, error) {
	const op = "notifypg.List"
	max := clamp(f.Max)
	if f.Max <= 0 {
		max = math.MaxInt32
	}
	rows, err := db.New(s.db).ListDeliveries(ctx, db.ListDeliveriesParams{RealmName: string(realm),
		Status: text(string(f.Status)), UserID: text(f.UserID), Kind: text(string(f.Kind)), First: clamp(f.First), Max: max})
	if err != nil {
		return nil, mapError(op, err)
	}
	out := make([]notify.Delivery, 0, len(rows))
	for _, row := range rows {
		d, err := fromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// text is an optional filter: NULL when empty.
func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// clamp bounds n to int32 for the query parameters.
func clamp(n int) int32 {
	switch {
	case n < 0:
		return 0
	case n > math.MaxInt32:
		return math.MaxInt32
	}
	return int32(n)
}

// Update implements notify.Store: the row is locked (SELECT ... FOR
// UPDATE) while fn runs, and its queue row follows its status.
func (s *Store) Update(ctx context.Context, realm iam.Realm, id string, fn func(*notify.Delivery) error) (notify.Delivery, error) {
	const op = "notifypg.Update"
	var out notify.Delivery
	err := s.tx(ctx, op, func(q *db.Queries) error {
		row, err := q.LockDelivery(ctx, db.LockDeliveryParams{RealmName: string(realm), ID: id})
		if err != nil {
			return err
		}
		cur, err := fromRow(row)
		if err != nil {
			return err
		}
		next := cur.Clone()
		if err := fn(&next); err != nil {
			return err
		}
		next.ID, next.Realm, next.EventID, next.Kind, next.CreatedAt = cur.ID, cur.Realm, cur.EventID, cur.Kind, cur.CreatedAt
		if next.Status != notify.StatusPending {
			next.NextAttemptAt = time.Time{}
		}
		p, err := toParams(next)
		if err != nil {
			return err
		}
		if err := q.UpdateDelivery(ctx, db.UpdateDeliveryParams{RealmName: p.RealmName, ID: p.ID, UserID: p.UserID,
			Recipient: p.Recipient, Status: p.Status, Attempts: p.Attempts, LastError: p.LastError,
			NextAttemptAt: p.NextAttemptAt, UpdatedAt: p.UpdatedAt, SentAt: p.SentAt, Data: p.Data, SealedLink: p.SealedLink}); err != nil {
			return err
		}
		out = next
		return schedule(ctx, q, next)
	})
	if err != nil {
		return notify.Delivery{}, err
	}
	return out, nil
}

// Claim implements notify.Store: queue rows are taken with FOR UPDATE SKIP
// LOCKED and leased to owner in the same transaction as their deliveries'
// attempt counts.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, max int) ([]notify.Delivery, error) {
	const op = "notifypg.Claim"
	until := now.Add(lease)
	var out []notify.Delivery
	err := s.tx(ctx, op, func(q *db.Queries) error {
		out = nil
		due, err := q.ClaimDue(ctx, db.ClaimDueParams{Now: now, LeaseUntil: until, Owner: text(owner), Max: clamp(max)})
		if err != nil {
			return err
		}
		slices.SortFunc(due, func(a, b db.ClaimDueRow) int {
			if c := a.WasDue.Compare(b.WasDue); c != 0 {
				return c
			}
			return strings.Compare(a.DeliveryID, b.DeliveryID)
		})
		for _, c := range due {
			row, err := q.StartAttempt(ctx, db.StartAttemptParams{RealmName: c.RealmName, ID: c.DeliveryID, LeaseUntil: &until})
			if errors.Is(err, pgx.ErrNoRows) {
				// Settled or deleted meanwhile: the queue row is stale.
				if err := q.Unschedule(ctx, db.UnscheduleParams{RealmName: c.RealmName, DeliveryID: c.DeliveryID}); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			d, err := fromRow(row)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReleaseClaims implements notify.Store: owner's unexpired queue rows and
// their deliveries become due at now in one transaction.
func (s *Store) ReleaseClaims(ctx context.Context, owner string, now time.Time) (int, error) {
	const op = "notifypg.ReleaseClaims"
	if owner == "" {
		return 0, iam.Invalidf("owner", "claims without an owner cannot be released")
	}
	n := 0
	err := s.tx(ctx, op, func(q *db.Queries) error {
		released, err := q.ReleaseClaims(ctx, db.ReleaseClaimsParams{Owner: owner, Now: now})
		if err != nil {
			return err
		}
		n = 0
		for _, r := range released {
			// A row whose delivery is no longer pending is stale: the
			// next Claim drops it.
			k, err := q.ReleaseAttempt(ctx, db.ReleaseAttemptParams{RealmName: r.RealmName, ID: r.DeliveryID, Now: now})
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// UpdateFailures implements notify.Store: the count's row is made if
// missing and locked while fn runs.
func (s *Store) UpdateFailures(ctx context.Context, realm iam.Realm, userID string, fn func(*notify.Failures) error) (notify.Failures, error) {
	const op = "notifypg.UpdateFailures"
	var out notify.Failures
	err := s.tx(ctx, op, func(q *db.Queries) error {
		if err := q.EnsureFailures(ctx, db.EnsureFailuresParams{RealmName: string(realm), UserID: userID}); err != nil {
			return err
		}
		row, err := q.LockFailures(ctx, db.LockFailuresParams{RealmName: string(realm), UserID: userID})
		if err != nil {
			return err
		}
		f := notify.Failures{Realm: realm, UserID: userID, WindowStart: utc(row.WindowStart), Count: int(row.Failures), Alerted: row.Alerted}
		if err := fn(&f); err != nil {
			return err
		}
		f.Realm, f.UserID = realm, userID
		out = f
		return q.UpdateFailures(ctx, db.UpdateFailuresParams{RealmName: string(realm), UserID: userID,
			WindowStart: nullTime(f.WindowStart), Failures: clamp(f.Count), Alerted: f.Alerted})
	})
	if err != nil {
		return notify.Failures{}, err
	}
	return out, nil
}

// DeleteFailures implements notify.Store.
func (s *Store) DeleteFailures(ctx context.Context, realm iam.Realm, userID string) error {
	err := db.New(s.db).DeleteFailures(ctx, db.DeleteFailuresParams{RealmName: string(realm), UserID: userID})
	return mapError("notifypg.DeleteFailures", err)
}

// PutTemplate implements notify.Store.
func (s *Store) PutTemplate(ctx context.Context, t notify.Template) error {
	err := db.New(s.db).PutTemplate(ctx, db.PutTemplateParams{RealmName: string(t.Realm), Kind: string(t.Kind), Locale: t.Locale,
		Subject: t.Subject, Html: t.HTML, TextBody: t.Text, UpdatedAt: t.UpdatedAt})
	return mapError("notifypg.PutTemplate", err)
}

// GetTemplate implements notify.Store.
func (s *Store) GetTemplate(ctx context.Context, realm iam.Realm, kind notify.Kind, locale string) (notify.Template, error) {
	row, err := db.New(s.db).GetTemplate(ctx, db.GetTemplateParams{RealmName: string(realm), Kind: string(kind), Locale: locale})
	if err != nil {
		return notify.Template{}, mapError("notifypg.GetTemplate", err)
	}
	return templateFromRow(row), nil
}

// ListTemplates implements notify.Store.
func (s *Store) ListTemplates(ctx context.Context, realm iam.Realm) ([]notify.Template, error) {
	rows, err := db.New(s.db).ListTemplates(ctx, string(realm))
	if err != nil {
		return nil, mapError("notifypg.ListTemplates", err)
	}
	out := make([]notify.Template, 0, len(rows))
	for _, row := range rows {
		out = append(out, templateFromRow(row))
	}
	return out, nil
}

// DeleteTemplate implements notify.Store.
func (s *Store) DeleteTemplate(ctx context.Context, realm iam.Realm, kind notify.Kind, locale string) error {
	n, err := db.New(s.db).DeleteTemplate(ctx, db.DeleteTemplateParams{RealmName: string(realm), Kind: string(kind), Locale: locale})
	if err == nil && n == 0 {
		err = pgx.ErrNoRows
	}
	return mapError("notifypg.DeleteTemplate", err)
}

func templateFromRow(row db.Template) notify.Template {
	return notify.Template{Realm: iam.Realm(row.RealmName), Kind: notify.Kind(row.Kind), Locale: row.Locale,
		Subject: row.Subject, HTML: row.Html, Text: row.TextBody, UpdatedAt: row.UpdatedAt.UTC()}
}

// DeleteRealm implements notify.Store.
func (s *Store) DeleteRealm(ctx context.Context, realm iam.Realm) (int, error) {
	var n int64
	err := s.tx(ctx, "notifypg.DeleteRealm", func(q *db.Queries) error {
		var err error
		if n, err = q.DeleteRealmDeliveries(ctx, string(realm)); err != nil {
			return err
		}
		return errors.Join(q.DeleteRealmQueue(ctx, string(realm)), q.DeleteRealmFailures(ctx, string(realm)),
			q.DeleteRealmTemplates(ctx, string(realm)))
	})
	return int(n), err
}

// Once implements notify.Store with iampg.HandleOnce: fn's store works in
// the transaction that records the event in processed_events, so the
// effect and the record commit together. eventID must be a UUID
// (CodeInvalid otherwise).
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(notify.Store) error) error {
	return iampg.HandleOnce(ctx, s.db, consumer, iam.Event{ID: eventID}, func(tx pgx.Tx) error {
		return fn(&Store{db: tx})
	})
}

// toParams converts a delivery for insertion.
func toParams(d notify.Delivery) (db.InsertDeliveryParams, error) {
	data, err := json.Marshal(d.Data)
	if err != nil {
		return db.InsertDeliveryParams{}, err
	}
	return db.InsertDeliveryParams{RealmName: string(d.Realm), ID: d.ID, EventID: d.EventID, Kind: string(d.Kind),
		UserID: d.UserID, Recipient: d.To, Status: string(d.Status), Attempts: clamp(d.Attempts), LastError: d.LastError,
		NextAttemptAt: nullTime(d.NextAttemptAt), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		SentAt: nullTime(d.SentAt), Data: data, SealedLink: d.SealedLink}, nil
}

// fromRow converts a stored delivery.
func fromRow(row db.Delivery) (notify.Delivery, error) {
	var data notify.Data
	if err := json.Unmarshal(row.Data, &data); err != nil {
		return notify.Delivery{}, &iam.Error{Code: iam.CodeInternal, Op: "notifypg.fromRow", Message: "stored delivery is malformed", Err: err}
	}
	return notify.Delivery{ID: row.ID, Realm: iam.Realm(row.RealmName), EventID: row.EventID, Kind: notify.Kind(row.Kind),
		UserID: row.UserID, To: row.Recipient, Status: notify.Status(row.Status), Attempts: int(row.Attempts),
		LastError: row.LastError, NextAttemptAt: utc(row.NextAttemptAt), CreatedAt: row.CreatedAt.UTC(),
		UpdatedAt: row.UpdatedAt.UTC(), SentAt: utc(row.SentAt), Data: data, SealedLink: row.SealedLink}, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Prune implements notify.Store. Settled deliveries have no queue row.
func (s *Store) Prune(ctx context.Context, realm iam.Realm, before time.Time) (int, error) {
	n, err := db.New(s.db).PruneDeliveries(ctx, db.PruneDeliveriesParams{RealmName: string(realm), Before: before})
	return int(n), mapError("notifypg.Prune", err)
}
