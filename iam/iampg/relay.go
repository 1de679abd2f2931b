package iampg

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/internal/lograte"
)

// Relay publishes the events that Write put in the outbox.
//
// Guarantees:
//
//   - At least once: a row is marked sent only in the transaction that
//     claimed it, after Publish returned nil. If the process dies, the
//     connection breaks or the commit fails in between, the row stays unsent
//     and is published again later; consumers deduplicate on the event ID
//     (HandleOnce).
//   - Never dropped: a failed Publish rolls the batch back, records attempts
//     and last_error on its rows (in a separate statement, so the record
//     survives the rollback) and retries after an exponential backoff. A row
//     whose payload cannot be decoded is skipped and retried, with its error
//     recorded; rows of other keys go on.
//   - Order: rows are published in the order they were written (outbox id),
//     within a batch and from batch to batch. Several relays on one table
//     (replicas) share the work with SELECT ... FOR UPDATE SKIP LOCKED: no row
//     is published by two relays at once, and a relay defers a row while an
//     earlier unsent row of the same Key is claimed by another relay, so
//     events of one key reach the bus in order. (Rows of one key written by
//     concurrent transactions are ordered by when each was written, not
//     committed; a producer serializes such writes by locking the subject row.)
//
// A Relay is safe for concurrent use; each Run call is an independent worker.
type Relay struct {
	pool *pgxpool.Pool
	pub  iam.Publisher
	cfg  relayConfig
	lim  *lograte.Limiter // repeated failures are logged once per interval
}

// NewRelay returns a relay that publishes the outbox in pool's database to
// pub. The caller keeps ownership of pool and pub.
func NewRelay(pool *pgxpool.Pool, pub iam.Publisher, opts ...RelayOption) *Relay {
	cfg := newRelayConfig(opts)
	return &Relay{pool: pool, pub: pub, cfg: cfg, lim: lograte.New(cfg.logFirst, cfg.logMost)}
}

// claimSQL locks up to $1 unsent rows that no other relay holds, in id order,
// and flags each row that must wait because an earlier unsent row of its key
// is outside this claim (held by another relay, or skipped as locked).
const claimSQL = `
WITH claimed AS (
	SELECT id, key, payload
	FROM outbox
	WHERE sent_at IS NULL
	ORDER BY id
	LIMIT $1
	FOR UPDATE SKIP LOCKED
)
SELECT c.id, c.key, c.payload, EXISTS (
	SELECT 1 FROM outbox p
	WHERE p.sent_at IS NULL AND p.key = c.key AND p.id < c.id
	  AND p.id NOT IN (SELECT id FROM claimed)
) AS deferred
FROM claimed c
ORDER BY c.id`

// maxErrorLen bounds the last_error kept on a row.
const maxErrorLen = 1000

// Run publishes outbox rows until ctx ends, then returns ctx's error. It
// wakes on notifications from Write (LISTEN on OutboxChannel, on a
// connection taken out of the pool for as long as Run runs), polls every
// poll interval as a fallback, and deletes sent rows older than the retention.
// Database and publish failures are logged and retried with backoff; they
// never end Run. Run reports to ctx's iam.Readiness: ready once a pass
// over the outbox succeeds, failing while passes fail. A batch already published when ctx ends is still marked
// sent (within a few seconds) so a clean shutdown does not cause duplicates.
func (r *Relay) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.listen(ctx, wake)
	}()
	defer wg.Wait()

	iam.ReportStarting(ctx)
	failures, lastKey := 0, ""
	var lastPrune time.Time
	for {
		err := r.drain(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			iam.ReportFailing(ctx, err)
			failures++
			wait := r.cfg.backoff(failures)
			lastKey = "relay|" + err.Error()
			r.lim.Log(ctx, r.cfg.logger, slog.LevelWarn, lastKey, "iampg: outbox relay failed; retrying",
				slog.String("err", err.Error()), slog.Int("failures", failures), slog.Duration("retry_in", wait))
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
			continue
		}
		if failures > 0 {
			r.cfg.logger.LogAttrs(ctx, slog.LevelInfo, "iampg: outbox relay recovered", slog.Int("failures", failures))
			r.lim.Forget(lastKey) // the next failure is logged at once
		}
		failures = 0
		iam.ReportReady(ctx)
		lastPrune = r.prune(ctx, lastPrune)
		timer := time.NewTimer(r.cfg.pollInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// drain publishes batches until one comes back short or makes no progress.
func (r *Relay) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		claimed, published, err := r.batch(ctx)
		if err != nil {
			return err
		}
		if claimed < r.cfg.batchSize || published == 0 {
			return nil
		}
	}
	return nil
}

// failure is an error to record on outbox rows once their batch has ended.
type failure struct {
	ids []int64
	err error
}

// batch claims, publishes and marks one batch in one transaction. It returns
// how many rows it claimed and how many it published.
func (r *Relay) batch(ctx context.Context) (claimed, published int, err error) {
	const op = "iampg.Relay"
	var failures []failure
	defer func() {
		for _, f := range failures {
			r.recordFailure(ctx, f.ids, f.err)
		}
	}()

	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return 0, 0, MapError(op, err)
	}
	committed := false
	defer func() {
		if !committed {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			_ = tx.Rollback(rctx)
		}
	}()

	ids, events, claimed, poison, err := r.claim(ctx, tx)
	if err != nil {
		return 0, 0, err
	}
	failures = append(failures, poison...)
	if len(events) == 0 {
		return claimed, 0, nil // nothing to mark: the rollback releases the rows
	}
	if err := r.pub.Publish(ctx, events...); err != nil {
		if ctx.Err() == nil {
			failures = append(failures, failure{ids: ids, err: err})
			r.cfg.observer.PublishFailed(len(events))
		}
		return claimed, 0, iam.Wrap(op+": publish", err)
	}

	// Published: finish the batch even if ctx ends now, so a clean shutdown
	// does not publish it twice. The commit does not wait for the WAL flush:
	// if a database crash loses it, the rows are published again, the same
	// at-least-once case as a relay crash, and the relay is not held up by
	// the disk.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	mark := &pgx.Batch{}
	mark.Queue(`SET LOCAL synchronous_commit = off`)
	mark.Queue(`UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1)`, ids)
	if err := tx.SendBatch(mctx, mark).Close(); err != nil {
		err = MapError(op+": mark sent", err)
		failures = append(failures, failure{ids: ids, err: err})
		return claimed, 0, err
	}
	if err := tx.Commit(mctx); err != nil {
		err = MapError(op+": commit", err)
		failures = append(failures, failure{ids: ids, err: err})
		return claimed, 0, err
	}
	committed = true
	r.cfg.observer.Published(len(events))
	return claimed, len(events), nil
}

// claim locks the next rows and decodes those that may be published now.
// A row that cannot be decoded is left unsent, with its key held back for
// the rest of the batch, and reported in poison.
func (r *Relay) claim(ctx context.Context, tx pgx.Tx) (ids []int64, events []iam.Event, claimed int, poison []failure, err error) {
	rows, err := tx.Query(ctx, claimSQL, r.cfg.batchSize)
	if err != nil {
		return nil, nil, 0, nil, MapError("iampg.Relay: claim", err)
	}
	defer rows.Close()
	stalled := map[string]bool{}
	for rows.Next() {
		var (
			id       int64
			key      string
			payload  []byte
			deferred bool
		)
		if err := rows.Scan(&id, &key, &payload, &deferred); err != nil {
			return nil, nil, 0, nil, MapError("iampg.Relay: claim", err)
		}
		claimed++
		if deferred || stalled[key] {
			continue
		}
		var e iam.Event
		if err := json.Unmarshal(payload, &e); err != nil {
			stalled[key] = true
			poison = append(poison, failure{ids: []int64{id}, err: err})
			r.lim.Log(ctx, r.cfg.logger, slog.LevelError, "poison|"+strconv.FormatInt(id, 10),
				"iampg: outbox row cannot be decoded; holding back its key", slog.Int64("outbox_id", id), slog.String("err", err.Error()))
			continue
		}
		ids = append(ids, id)
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, nil, MapError("iampg.Relay: claim", err)
	}
	return ids, events, claimed, poison, nil
}

// recordFailure counts a failed attempt on rows that stay unsent. It runs
// after the batch's transaction has ended, so the record survives the
// rollback and does not wait for the batch's own row locks.
func (r *Relay) recordFailure(ctx context.Context, ids []int64, cause error) {
	if ctx.Err() != nil || len(ids) == 0 {
		return
	}
	msg := strings.ReplaceAll(cause.Error(), "\x00", "")
	if len(msg) > maxErrorLen {
		msg = strings.ToValidUTF8(msg[:maxErrorLen], "")
	}
	if _, err := r.pool.Exec(ctx,
		`UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1) AND sent_at IS NULL`,
		ids, msg); err != nil && ctx.Err() == nil {
		r.lim.Log(ctx, r.cfg.logger, slog.LevelWarn, "record failure|"+err.Error(), "iampg: cannot record outbox failure", slog.String("err", err.Error()))
	}
}

// prune deletes old sent rows if the retention is set and the last prune
// (at last) is long enough ago; it returns the time of the latest prune.
func (r *Relay) prune(ctx context.Context, last time.Time) time.Time {
	if r.cfg.retention == 0 || time.Since(last) < min(pruneEvery, r.cfg.retention) {
		return last
	}
	if _, err := PruneOutbox(ctx, r.pool, r.cfg.retention); err != nil && ctx.Err() == nil {
		r.cfg.logger.Warn("iampg: cannot prune outbox", "err", err)
	}
	return time.Now()
}

// listen signals wake on every notification on OutboxChannel until ctx ends,
// reconnecting with backoff when its connection fails.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	failures := 0
	for {
		listened, err := r.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		if listened {
			failures = 0
		}
		failures++
		wait := r.cfg.backoff(failures)
		r.lim.Log(ctx, r.cfg.logger, slog.LevelWarn, "listen|"+errText(err), "iampg: outbox listener failed; polling until it reconnects",
			slog.String("err", errText(err)), slog.Duration("retry_in", wait))
		if !sleep(ctx, wait) {
			return
		}
	}
}

// listenOnce listens on one connection, taken out of the pool and closed at
// the end, until it fails or ctx ends. listened reports whether LISTEN ran.
func (r *Relay) listenOnce(ctx context.Context, wake chan<- struct{}) (listened bool, err error) {
	c, err := r.pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	conn := c.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+OutboxChannel); err != nil {
		return false, err
	}
	signal(wake) // rows may have been written while nobody listened
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		signal(wake)
	}
}

// signal wakes the relay loop without blocking; pending wake-ups coalesce.
func signal(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// errText is err's text, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
