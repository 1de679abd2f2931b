package password

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// ErrBusy: a Limiter has every slot taken and its queue full, or the caller's
// context ended while it waited for a slot. The caller should answer "retry
// later" (503 with Retry-After), never wait without bound.
var ErrBusy = errors.New("password: too many password hashes in progress")

// DefaultQueuePerSlot is the length of a Limiter's default waiting queue per
// slot: with OWASP's parameters a hash takes some tens of milliseconds, so
// the last caller in a full queue waits a few hundred milliseconds.
const DefaultQueuePerSlot = 8

// Limiter bounds the hashing work of a process: at most Slots hashes or
// verifications run at once (each holds at most MaxMemoryKiB of memory, so
// hashing never holds more than Slots × MaxMemoryKiB), and at most Queue
// callers wait for a slot; the next caller gets ErrBusy at once. A waiting
// caller also gives up with ErrBusy when its context ends. A Limiter is safe
// for concurrent use; its zero value is not usable, use NewLimiter.
type Limiter struct {
	slots   chan struct{} // a token per running hash
	tickets chan struct{} // a token per waiting caller
}

// NewLimiter returns a Limiter running at most slots hashes at once with at
// most queue callers waiting. slots < 1 means runtime.GOMAXPROCS(0) (the
// CPUs the process may use: hashing is CPU-bound, more at once only adds
// memory); queue < 0 means DefaultQueuePerSlot × slots; queue 0 rejects
// every caller that finds no free slot.
func NewLimiter(slots, queue int) *Limiter {
	if slots < 1 {
		slots = runtime.GOMAXPROCS(0)
	}
	if queue < 0 {
		queue = DefaultQueuePerSlot * slots
	}
	return &Limiter{slots: make(chan struct{}, slots), tickets: make(chan struct{}, queue)}
}

// Acquire takes a slot, waiting in the queue if every slot is taken, and
// returns the function that gives it back when the hash is done (calls after
// the first do nothing). It fails with an error wrapping ErrBusy, without waiting,
// when the queue is full, and when ctx ends while waiting (then the error
// also wraps ctx.Err()).
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	select {
	case l.slots <- struct{}{}:
		return sync.OnceFunc(l.release), nil
	default:
	}
	select {
	case l.tickets <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-l.tickets }()
	select {
	case l.slots <- struct{}{}:
		return sync.OnceFunc(l.release), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}

func (l *Limiter) release() { <-l.slots }

// Running returns how many slots are taken now.
func (l *Limiter) Running() int { return len(l.slots) }

// Waiting returns how many callers wait for a slot now.
func (l *Limiter) Waiting() int { return len(l.tickets) }

// Slots returns the number of hashes that may run at once.
func (l *Limiter) Slots() int { return cap(l.slots) }

// Queue returns the number of callers that may wait.
func (l *Limiter) Queue() int { return cap(l.tickets) }
