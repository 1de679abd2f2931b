package iammem

import (
	"context"
	"sync"

	"github.com/opengate-iam/opengate/iam"
)

// DefaultOnceLimit is how many handled events a Once remembers unless told
// otherwise: far more than a bus redelivers in the time it takes to handle
// that many.
const DefaultOnceLimit = 100_000

// Once is the in-memory record of handled events behind every memory
// store's Once method: the counterpart of PostgreSQL's processed_events
// (iampg.HandleOnce). It is safe for concurrent use; the zero value is not
// usable, call NewOnce.
type Once struct {
	mu      sync.Mutex
	entries map[onceKey]*onceEntry
	handled []onceKey // handled pairs, oldest first
	limit   int
}

type onceKey struct{ consumer, eventID string }

// onceEntry is one (consumer, event id) pair being handled or handled.
type onceEntry struct {
	turn chan struct{} // holds a token while a Do checks and runs fn
	done bool          // fn succeeded; guarded by turn

	// Guarded by Once.mu:
	holders    int  // Do calls between hold and release
	remembered bool // in Once.handled
}

// NewOnce returns a Once that remembers the limit most recently handled
// events (DefaultOnceLimit when limit <= 0) and forgets older ones: a
// redelivery of a forgotten event runs again, so effects must be idempotent
// in themselves, as they are in OpenGate.
func NewOnce(limit int) *Once {
	if limit <= 0 {
		limit = DefaultOnceLimit
	}
	return &Once{entries: map[onceKey]*onceEntry{}, limit: limit}
}

// Do runs fn unless consumer has already handled eventID, and records the
// pair as handled when fn returns nil. Checking and running are atomic: of
// concurrent calls for one pair, one runs fn while the others wait for it and
// then return nil without running fn — or, if fn failed, run it themselves.
// Calls for different pairs do not wait for each other.
//
// fn's error is returned unchanged and leaves the pair unhandled, so a
// redelivery runs fn again; there is no transaction in memory, so what fn
// changed before failing stays changed. A call that would wait returns
// CodeUnavailable when ctx ends first. CodeInvalid for an empty consumer or
// event id.
func (o *Once) Do(ctx context.Context, consumer, eventID string, fn func() error) error {
	const op = "iammem.Once.Do"
	if consumer == "" {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "consumer", Message: "consumer name is required"}
	}
	if eventID == "" {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "id", Message: "event id is required"}
	}
	k := onceKey{consumer, eventID}
	e := o.hold(k)
	select {
	case e.turn <- struct{}{}:
	case <-ctx.Done():
		o.release(k, e, false)
		return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "gave up waiting for the event's other delivery", Err: ctx.Err()}
	}
	ranNow := false
	var err error
	if !e.done {
		if err = fn(); err == nil {
			e.done, ranNow = true, true
		}
	}
	done := e.done
	<-e.turn
	o.release(k, e, ranNow)
	if done {
		return nil
	}
	return err
}

// hold returns the entry of k, creating it, and counts the caller as one of
// its holders.
func (o *Once) hold(k onceKey) *onceEntry {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.entries[k]
	if e == nil {
		e = &onceEntry{turn: make(chan struct{}, 1)}
		o.entries[k] = e
	}
	e.holders++
	return e
}

// release ends the caller's hold on e. A newly handled pair is remembered,
// and the oldest remembered pairs beyond the limit are forgotten; the entry
// of a pair that is not handled goes with its last holder.
func (o *Once) release(k onceKey, e *onceEntry, handledNow bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e.holders--
	if handledNow {
		e.remembered = true
		o.handled = append(o.handled, k)
		for len(o.handled) > o.limit {
			delete(o.entries, o.handled[0])
			o.handled = o.handled[1:]
		}
		return
	}
	if e.holders == 0 && !e.remembered && o.entries[k] == e {
		delete(o.entries, k)
	}
}
