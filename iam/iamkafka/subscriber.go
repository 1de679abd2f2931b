package iamkafka

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/internal/lograte"
)

// Subscriber runs Kafka consumer groups: each Subscribe call is one member of
// its group, with its own client.
//
// A member polls records, hands them to the handler (the records of one
// partition one at a time, in offset order; different partitions
// concurrently, so the handler must be safe for concurrent use; with an
// iam.Batcher in Subscribe's ctx, a poll's records of one partition in one
// batch, falling back to one at a time if the batch fails), and commits a
// partition's offset only past records whose handler succeeded or that were
// dead-lettered. A failing handler is retried with backoff; after
// WithMaxAttempts attempts the record is produced to "<topic>.dlq" with the
// error in the opengate-error header and consumption continues. A record that
// is not a CloudEvent goes to the dead-letter topic without reaching the
// handler. Rebalances wait while a poll's records are being handled, so a
// member never commits for a partition it lost.
//
// Subscribe reports to its ctx's iam.Readiness: ready once the member has
// joined its group (with or without partitions), failing while fetches fail
// or after it lost its membership, until it joins again.
//
// A group without committed offsets starts at the earliest retained record
// (override with WithClientOpts(kgo.ConsumeResetOffset(...))). Delivery is
// at-least-once: handlers must be idempotent. A Subscriber is safe for
// concurrent use.
type Subscriber struct {
	seeds  []string
	cfg    config
	ids    instances        // static member ids in use (WithInstance)
	lim    *lograte.Limiter // repeated failures are logged once per interval
	groups runningGroups    // for Lag
}

var _ iam.Subscriber = (*Subscriber)(nil)

// NewSubscriber returns a Subscriber for the seed brokers (host:port).
// Options: WithMaxAttempts, WithBackoff, WithMaxPollRecords,
// WithShutdownTimeout, WithInstance, WithSessionTimeout, WithObserver,
// WithClientOpts, WithLogger, WithLogInterval.
func NewSubscriber(seeds []string, opts ...Option) *Subscriber {
	cfg := newConfig(opts)
	return &Subscriber{seeds: seeds, cfg: cfg, lim: lograte.New(cfg.logFirst, cfg.logMost)}
}

// Subscribe joins consumer group group for topics and calls handler for their
// records until ctx ends. It then stops handing out records (the handler's
// ctx ends too), commits the offsets of what was handled, leaves the group and
// returns ctx's error; the final commit and the leave share one deadline,
// WithShutdownTimeout. Errors: CodeInvalid for an empty group, no or invalid
// topics, a nil handler, no seeds or bad client options; CodeUnavailable if the
// client is closed under it.
func (s *Subscriber) Subscribe(ctx context.Context, group string, topics []string, handler iam.Handler) error {
	const op = "iamkafka.Subscribe"
	if err := s.validate(group, topics, handler); err != nil {
		return iam.Wrap(op, err)
	}
	kopts := append([]kgo.Opt{
		kgo.SeedBrokers(s.seeds...),
		// No auto-creation: a topic that does not exist is created with the
		// deployment's TopicSettings (recreated), not the brokers' defaults.
		// Notice a broker that came back, and a topic's new id, within a
		// second rather than franz-go's default five; give up on a topic
		// that does not exist after two metadata loads, to create it.
		kgo.MetadataMinAge(time.Second),
		kgo.UnknownTopicRetries(2),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.ProducerLinger(0), // dead letters are produced one at a time
		// A fetch that finds nothing waits a second, not franz-go's five:
		// a member that has just joined (a restart) otherwise waits that
		// long on its idle partitions before fetching its busy ones.
		kgo.FetchMaxWait(time.Second),
		kgo.WithLogger(kgoLogger{log: s.cfg.logger, lim: s.lim, attrs: []slog.Attr{slog.String("group", group)}}),
	}, s.cfg.clientOpts...)
	iam.ReportStarting(ctx)
	var healer atomic.Pointer[healing] // set once the client exists
	kopts = append(kopts,
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topics...),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		// Joined (even with no partitions): the member does its work.
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			iam.ReportReady(ctx)
			if h := healer.Load(); h != nil {
				go h.ids.check(ctx, h.heal, true) // a broker that lost its topics?
			}
		}),
		kgo.OnPartitionsLost(func(context.Context, *kgo.Client, map[string][]int32) {
			if ctx.Err() == nil {
				iam.ReportFailing(ctx, errors.New("lost its group membership"))
			}
		}),
	)
	if s.cfg.sessionTimeout > 0 {
		kopts = append(kopts, kgo.SessionTimeout(s.cfg.sessionTimeout))
	}
	var instanceID string
	if s.cfg.instance != "" {
		instanceID = s.ids.acquire(InstanceID(s.cfg.instance, group))
		defer s.ids.release(instanceID)
		kopts = append(kopts, kgo.InstanceID(instanceID))
	}
	client, err := kgo.NewClient(kopts...)
	if err != nil {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Message: "invalid Kafka client configuration", Err: err}
	}
	s.groups.add(group)
	defer s.groups.remove(group)
	heal := newRecreated(client, &s.cfg, s.lim, slog.String("group", group))
	heal.create(ctx, topics) // a group started before any producer has its topics
	ids := newTopicIDs(topics, append([]kgo.Opt{kgo.SeedBrokers(s.seeds...)}, s.cfg.clientOpts...))
	ids.check(ctx, heal, true)
	healer.Store(&healing{heal: heal, ids: ids})
	m := member{s: s, client: client, group: group, handler: handler, stop: shutdownClock{timeout: s.cfg.shutdownTimeout},
		heal: heal, batcher: iam.BatcherFrom(ctx),
		producer: producer{client: func() *kgo.Client { return client }, heal: func(ctx context.Context, topics []string) {
			heal.producing(ctx, topics)
		}}}
	defer func() {
		lctx, cancel := m.stop.ctx(ctx)
		defer cancel()
		leave(lctx, client, group, instanceID, s.cfg.logger)
		closeWithin(lctx, client, group, s.cfg.logger)
	}()

	for {
		fetches := client.PollRecords(ctx, s.cfg.maxPollRecords)
		if fetches.IsClientClosed() {
			return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "Kafka client closed"}
		}
		failed := m.fetchErrors(ctx, fetches)
		if failed {
			ids.check(ctx, heal, false) // a broker that lost its topics?
		}
		if !failed && fetches.NumRecords() > 0 {
			iam.ReportReady(ctx) // fetching again after failures
		}
		m.handle(ctx, fetches)
		client.AllowRebalance()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if failed && fetches.NumRecords() == 0 {
			sleep(ctx, max(s.cfg.backoffMin, 50*time.Millisecond)) // do not spin on a persistent error
		}
	}
}

func (s *Subscriber) validate(group string, topics []string, handler iam.Handler) error {
	switch {
	case len(s.seeds) == 0:
		return iam.Invalidf("seeds", "at least one seed broker is required")
	case group == "":
		return iam.Invalidf("group", "consumer group is required")
	case len(topics) == 0:
		return iam.Invalidf("topics", "at least one topic is required")
	case handler == nil:
		return iam.Invalidf("handler", "handler is required")
	}
	for _, t := range topics {
		if validTopic(t) != nil {
			return iam.Invalidf("topics", "%q is not a valid topic name", t)
		}
	}
	return nil
}

// healing is what heals a member's re-created topics.
type healing struct {
	heal *recreated
	ids  *topicIDs
}

// member is one running Subscribe call.
type member struct {
	s        *Subscriber
	client   *kgo.Client
	group    string
	handler  iam.Handler
	stop     shutdownClock   // the deadline of the final commit and the leave
	failing  map[string]bool // failure keys of fetch errors not yet recovered
	heal     *recreated      // topics re-created under new ids
	producer                 // dead letters
	batcher  iam.Batcher     // from Subscribe's ctx; nil: one event at a time
}

// fetchErrors logs a poll's fetch errors (each distinct one once per
// interval) and reports them; a fetch error that stopped is logged as
// recovered. It reports whether there was any.
func (m *member) fetchErrors(ctx context.Context, fetches kgo.Fetches) bool {
	if ctx.Err() != nil {
		return false
	}
	seen := map[string]bool{}
	var recreated []string
	fetches.EachError(func(topic string, partition int32, err error) {
		if unknownTopicID(err) && topic != "" {
			recreated = append(recreated, topic)
		}
		key := failureKey("fetch", m.group, topic, err.Error())
		if seen[key] {
			return // one line for the partitions of a topic failing alike
		}
		seen[key] = true
		iam.ReportFailing(ctx, err)
		m.s.lim.Log(ctx, m.s.cfg.logger, slog.LevelWarn, key, "iamkafka: fetch failed",
			slog.String("group", m.group), slog.String("topic", topic),
			slog.Int("partition", int(partition)), slog.String("error", err.Error()))
	})
	for key := range m.failing {
		if !seen[key] {
			delete(m.failing, key)
			m.s.lim.Reset(ctx, m.s.cfg.logger, key, "iamkafka: fetch recovered", slog.String("group", m.group))
		}
	}
	if m.failing == nil {
		m.failing = map[string]bool{}
	}
	for key := range seen {
		m.failing[key] = true
	}
	if len(recreated) > 0 {
		m.heal.consuming(ctx, recreated)
	}
	return len(seen) > 0
}

// handle hands one poll's records to the handler, one goroutine per
// partition, then commits past the records that are done. It commits even
// when ctx has ended, so work finished before a shutdown is not redone.
func (m *member) handle(ctx context.Context, fetches kgo.Fetches) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done []*kgo.Record // the last finished record of each partition
	)
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		wg.Go(func() {
			if last := m.partition(ctx, p.Records); last != nil {
				mu.Lock()
				done = append(done, last)
				mu.Unlock()
			}
		})
	})
	wg.Wait()
	if len(done) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.s.cfg.shutdownTimeout)
	if ctx.Err() != nil { // the final commit: within the shutdown deadline
		cancel()
		cctx, cancel = m.stop.ctx(ctx)
	}
	defer cancel()
	key := failureKey("commit", m.group)
	if err := m.client.CommitRecords(cctx, done...); err != nil {
		if unknownTopicID(err) && ctx.Err() == nil {
			var topics []string
			for _, r := range done {
				topics = append(topics, r.Topic)
			}
			m.heal.consuming(ctx, topics)
		}
		// The records will be delivered again: at-least-once.
		m.s.lim.Log(ctx, m.s.cfg.logger, slog.LevelWarn, key, "iamkafka: offset commit failed",
			slog.String("group", m.group), slog.String("error", err.Error()))
	} else {
		m.s.lim.Reset(ctx, m.s.cfg.logger, key, "iamkafka: offset commit recovered", slog.String("group", m.group))
	}
}

// partition handles a poll's records of one partition and returns the last
// record up to which all are done (handled or dead-lettered), nil if none.
// The records are split by key into lanes (WithLanes) handled concurrently,
// each in order: records of one key stay in one lane, so per-key order
// holds. Each lane is one batch when the Batcher allows, else its records
// one at a time; when ctx ends a lane stops at its current record.
func (m *member) partition(ctx context.Context, records []*kgo.Record) *kgo.Record {
	lanes := laneSplit(records, m.s.cfg.lanes)
	finished := make([]bool, len(records)) // by index in records
	var wg sync.WaitGroup
	for _, lane := range lanes {
		wg.Go(func() {
			rs := make([]*kgo.Record, len(lane))
			for i, idx := range lane {
				rs[i] = records[idx]
			}
			if m.batch(ctx, rs) {
				for _, idx := range lane {
					finished[idx] = true
				}
				return
			}
			for _, idx := range lane {
				if ctx.Err() != nil || !m.record(ctx, records[idx]) {
					return // ctx ended: this record and the rest stay uncommitted
				}
				finished[idx] = true
			}
		})
	}
	wg.Wait()
	var last *kgo.Record
	for i, r := range records {
		if !finished[i] {
			break
		}
		last = r
	}
	return last
}

// laneSplit splits records (by index) into at most n lanes by key hash,
// keeping each lane in offset order; empty lanes are left out.
func laneSplit(records []*kgo.Record, n int) [][]int {
	if n <= 1 || len(records) < 2 {
		lane := make([]int, len(records))
		for i := range lane {
			lane[i] = i
		}
		return [][]int{lane}
	}
	lanes := make([][]int, n)
	for i, r := range records {
		h := fnv.New32a()
		h.Write(r.Key)
		l := int(h.Sum32() % uint32(n))
		lanes[l] = append(lanes[l], i)
	}
	out := lanes[:0]
	for _, l := range lanes {
		if len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// batch handles a partition's records in one batch of the Batcher that
// Subscribe's ctx carries (iam.WithBatcher), in order, and reports whether
// all of them were handled and committed. When there is no Batcher, the
// group is not batched, a record is not a CloudEvent, or a handler call or
// the commit fails, nothing of the batch is kept and it reports false: the
// caller then handles the records one at a time, with retries and dead
// letters.
func (m *member) batch(ctx context.Context, records []*kgo.Record) bool {
	if m.batcher == nil || len(records) < 2 {
		return false
	}
	events := make([]iam.Event, len(records))
	ids := make([]string, len(records))
	for i, r := range records {
		e, err := decodeRecord(r)
		if err != nil {
			return false
		}
		events[i], ids[i] = e, e.ID
	}
	bctx, b, err := m.batcher.Begin(ctx, m.group, ids)
	if err != nil || b == nil {
		return false
	}
	for _, e := range events {
		if err := call(bctx, m.handler, e); err != nil {
			b.Abort(ctx)
			return false
		}
	}
	if err := b.Commit(ctx); err != nil {
		return false
	}
	m.s.cfg.observer.Handled(m.group, records[0].Topic, len(records))
	return true
}

// record handles r until the handler succeeds or r is dead-lettered (true), or
// until ctx ends (false). Failures with code unavailable are retried without
// counting towards the dead-letter limit.
func (m *member) record(ctx context.Context, r *kgo.Record) bool {
	e, err := decodeRecord(r)
	if err != nil {
		return m.deadLetter(ctx, r, 0, err)
	}
	cfg := &m.s.cfg
	key := failureKey("handler", m.group)
	counted := 0 // attempts that count towards dead-lettering
	for attempt := 1; ; attempt++ {
		err := call(ctx, m.handler, e)
		if err == nil {
			m.s.lim.Reset(ctx, cfg.logger, key, "iamkafka: handler recovered", slog.String("group", m.group))
			cfg.observer.Handled(m.group, r.Topic, 1)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		// A dependency that does not answer (a database restarting) is not
		// the event's fault: wait for it rather than dead-letter the event.
		if iam.ErrorCode(err) != iam.CodeUnavailable {
			counted++
		}
		if counted >= cfg.maxAttempts {
			return m.deadLetter(ctx, r, attempt, err)
		}
		m.s.lim.Log(ctx, cfg.logger, slog.LevelWarn, key, "iamkafka: handler failed, will retry", m.attrs(r, attempt, err)...)
		if !sleep(ctx, cfg.backoff(attempt)) {
			return false
		}
	}
}

// deadLetter produces r to its dead-letter topic, retrying with backoff until
// it is acknowledged (true) or ctx ends (false).
func (m *member) deadLetter(ctx context.Context, r *kgo.Record, attempts int, cause error) bool {
	cfg := &m.s.cfg
	dl := deadLetterRecord(r, m.group, attempts, cause)
	for try := 1; ; try++ {
		err := m.produce(ctx, []*kgo.Record{dl})
		key := failureKey("dead letter", m.group)
		if err == nil {
			m.s.lim.Forget(key)
			cfg.observer.DeadLettered(m.group, r.Topic)
			cfg.logger.LogAttrs(ctx, slog.LevelError, "iamkafka: record dead-lettered", m.attrs(r, attempts, cause)...)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		m.s.lim.Log(ctx, cfg.logger, slog.LevelError, key, "iamkafka: producing dead letter failed, will retry",
			m.attrs(r, attempts, err)...)
		// A fresh copy: a record handed to a client must not be reused.
		dl = deadLetterRecord(r, m.group, attempts, cause)
		if !sleep(ctx, cfg.backoff(try)) {
			return false
		}
	}
}

// attrs describes a record for logs: never its value.
func (m *member) attrs(r *kgo.Record, attempt int, err error) []slog.Attr {
	return []slog.Attr{
		slog.String("group", m.group),
		slog.String("topic", r.Topic),
		slog.Int("partition", int(r.Partition)),
		slog.Int64("offset", r.Offset),
		slog.Int("attempt", attempt),
		slog.String("error", err.Error()),
	}
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h iam.Handler, e iam.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &iam.Error{Code: iam.CodeInternal, Op: "iamkafka.handler", Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	return h(iam.WithTraceParent(ctx, e.TraceParent), e)
}

// sleep waits d or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
