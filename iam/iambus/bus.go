package iambus

import (
	"bytes"
	"context"
	"hash/fnv"
	"sync"

	"github.com/opengate-iam/opengate/iam"
)

// Bus is an in-process event bus: an iam.Publisher and iam.Subscriber with
// Kafka's delivery semantics, for the all-in-one binary and for tests.
//
//   - A consumer group exists from its first Subscribe (or Declare) until the
//     bus is closed, and from then on receives every event published to its
//     topics. Events published to a topic before any group subscribed to it
//     are dropped: there is no per-topic retention.
//   - While a group has no running consumer its events wait in its queue,
//     so a consumer that restarts continues where the group left off.
//   - Consumers of one group share its events; each event is handled by one
//     of them. Different groups each get every event.
//   - Events with the same Key are handled one at a time, in publish order,
//     within each group.
//   - A handler error means redelivery of the same event after a backoff; after
//     the configured number of attempts the event is published to the topic's
//     dead-letter topic (DLQTopic) and consumption goes on.
//   - An event whose handling was interrupted because its consumer's ctx ended
//     stays queued and is delivered again (to the next consumer of the group).
//
// Publish waits while a receiving queue is full and returns when its ctx ends.
// Close stops the bus; the zero Bus is not usable, call New. A Bus is safe for
// concurrent use.
type Bus struct {
	cfg config

	mu      sync.Mutex
	groups  map[string]*group
	byTopic map[string][]*queue // the queues that receive each topic
	space   chan struct{}       // closed and replaced when a queue has room again
	closed  bool
	done    chan struct{} // closed by Close
}

var (
	_ iam.Publisher  = (*Bus)(nil)
	_ iam.Subscriber = (*Bus)(nil)
)

// group is a consumer group: one queue per topic it consumes.
type group struct {
	name   string
	queues map[string]*queue
	wake   chan struct{} // closed and replaced when one of its lanes may have work
	next   int           // round-robin start, so consumers spread over lanes
}

// queue holds one group's undelivered events of one topic.
type queue struct {
	group *group
	topic string
	lanes []*lane
	size  int // events in all lanes, including those being handled
}

// lane is an ordered run of events; at most one is being handled at a time.
type lane struct {
	events []iam.Event // head first; the head stays until handled
	busy   bool
}

// New returns a running Bus.
func New(opts ...Option) *Bus {
	return &Bus{
		cfg:     newConfig(opts),
		groups:  make(map[string]*group),
		byTopic: make(map[string][]*queue),
		space:   make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// Close stops the bus: running Subscribe calls return (after their handlers
// do), and Publish, Subscribe and Declare fail with CodeUnavailable from now
// on. Queued events are discarded. Close is idempotent and always returns nil.
// A bus that is simply abandoned needs no Close once its subscribers' contexts
// have ended.
func (b *Bus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.done)
	}
	return nil
}

// Declare creates consumer group group for topics, as its first Subscribe
// would, so that events published from now on are kept for it even before a
// consumer runs. Wiring code calls it before starting producers, so nothing
// published during start-up is lost. Errors: CodeInvalid for an empty group
// or topic, CodeUnavailable after Close.
func (b *Bus) Declare(group string, topics ...string) error {
	if err := validateSubscription(group, topics); err != nil {
		return iam.Wrap("iambus.Declare", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed("iambus.Declare")
	}
	b.declareLocked(group, topics)
	return nil
}

// Publish delivers events to every group subscribed to their topics (an
// event's topic is its Type) and returns when all of them are queued. It waits
// while a receiving queue is full; if ctx ends first it returns CodeUnavailable
// and the events not yet queued are not published. Errors: CodeInvalid for an
// event without Type or ID (then nothing is published), CodeUnavailable when
// ctx ends or after Close.
func (b *Bus) Publish(ctx context.Context, events ...iam.Event) error {
	const op = "iambus.Publish"
	for _, e := range events {
		if e.Type == "" {
			return iam.Wrap(op, iam.Invalidf("type", "event type (topic) is required"))
		}
		if e.ID == "" {
			return iam.Wrap(op, iam.Invalidf("id", "event id is required"))
		}
	}
	for _, e := range iam.StampTrace(ctx, events) {
		if err := b.enqueue(ctx, e.Type, e); err != nil {
			return iam.Wrap(op, err)
		}
	}
	return nil
}

// enqueue appends e to every queue of topic, waiting until all have room.
func (b *Bus) enqueue(ctx context.Context, topic string, e iam.Event) error {
	for {
		if err := ctx.Err(); err != nil {
			return &iam.Error{Code: iam.CodeUnavailable, Message: "event bus: publish interrupted", Err: err}
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return errClosed("")
		}
		qs := b.byTopic[topic]
		full := false
		for _, q := range qs {
			if q.size >= b.cfg.queueSize {
				full = true
				break
			}
		}
		if !full {
			for _, q := range qs {
				q.push(e)
			}
			b.mu.Unlock()
			return nil
		}
		space := b.space
		b.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-b.done:
		case <-space:
		}
	}
}

// declareLocked returns group name, creating it and its missing topic queues.
func (b *Bus) declareLocked(name string, topics []string) *group {
	g := b.groups[name]
	if g == nil {
		g = &group{name: name, queues: make(map[string]*queue), wake: make(chan struct{})}
		b.groups[name] = g
	}
	for _, t := range topics {
		if g.queues[t] != nil {
			continue
		}
		q := &queue{group: g, topic: t, lanes: make([]*lane, b.cfg.shards)}
		for i := range q.lanes {
			q.lanes[i] = &lane{}
		}
		g.queues[t] = q
		b.byTopic[t] = append(b.byTopic[t], q)
	}
	return g
}

// push appends a private copy of e to the lane of its key and wakes the
// group's consumers.
func (q *queue) push(e iam.Event) {
	e.Data = bytes.Clone(e.Data)
	h := fnv.New32a()
	h.Write([]byte(e.Key()))
	l := q.lanes[h.Sum32()%uint32(len(q.lanes))]
	l.events = append(l.events, e)
	q.size++
	broadcast(&q.group.wake)
}

// takeLocked finds an idle lane with work among topics, marks it busy and
// returns it with its queue and head event.
func (g *group) takeLocked(topics []string) (*queue, *lane, iam.Event, bool) {
	g.next++
	for i := range topics {
		q := g.queues[topics[(g.next+i)%len(topics)]]
		n := len(q.lanes)
		for j := range n {
			l := q.lanes[(g.next+j)%n]
			if !l.busy && len(l.events) > 0 {
				l.busy = true
				return q, l, l.events[0], true
			}
		}
	}
	return nil, nil, iam.Event{}, false
}

// broadcast wakes every goroutine waiting on *ch.
func broadcast(ch *chan struct{}) {
	close(*ch)
	*ch = make(chan struct{})
}

func errClosed(op string) error {
	return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "event bus closed"}
}

func validateSubscription(group string, topics []string) error {
	if group == "" {
		return iam.Invalidf("group", "consumer group is required")
	}
	if len(topics) == 0 {
		return iam.Invalidf("topics", "at least one topic is required")
	}
	for _, t := range topics {
		if t == "" {
			return iam.Invalidf("topics", "topic names must not be empty")
		}
	}
	return nil
}
