package iamkafka

import (
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults used when no option says otherwise.
const (
	DefaultMaxAttempts    = 5
	DefaultBackoffMin     = 200 * time.Millisecond
	DefaultBackoffMax     = 5 * time.Second
	DefaultMaxPollRecords = 500
	DefaultLanes          = 4
	DefaultPublishTimeout = 30 * time.Second
	// DefaultShutdownTimeout bounds the final commit and the group leave
	// together when a subscription stops.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultSessionTimeout is how long the group coordinator waits for a
	// member's heartbeat before it gives the member's partitions to others
	// (franz-go's and Kafka's default).
	DefaultSessionTimeout = 45 * time.Second
	// DefaultLogFirst and DefaultLogMost bound how often a repeating
	// failure is logged: once, then after a second, doubling up to a
	// minute while it goes on (WithLogInterval).
	DefaultLogFirst = time.Second
	DefaultLogMost  = time.Minute
)

// Option configures a Publisher or a Subscriber. Each option says which it
// applies to; the other ignores it.
type Option func(*config)

type config struct {
	clientOpts      []kgo.Opt
	logger          *slog.Logger
	publishTimeout  time.Duration
	maxAttempts     int
	backoffMin      time.Duration
	backoffMax      time.Duration
	maxPollRecords  int
	shutdownTimeout time.Duration
	instance        string        // static membership: this process's name
	sessionTimeout  time.Duration // 0: DefaultSessionTimeout
	logFirst        time.Duration
	logMost         time.Duration
	observer        Observer
	topics          TopicSettings
	lanes           int
}

func newConfig(opts []Option) config {
	c := config{
		logger:          slog.Default(),
		publishTimeout:  DefaultPublishTimeout,
		maxAttempts:     DefaultMaxAttempts,
		backoffMin:      DefaultBackoffMin,
		backoffMax:      DefaultBackoffMax,
		maxPollRecords:  DefaultMaxPollRecords,
		shutdownTimeout: DefaultShutdownTimeout,
		logFirst:        DefaultLogFirst,
		logMost:         DefaultLogMost,
		observer:        nopObserver{},
		lanes:           DefaultLanes,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithClientOpts adds franz-go client options (TLS, SASL, client id, timeouts,
// kgo.ConsumeResetOffset, ...) to the clients this package creates: the
// Subscriber's and OpenPublisher's. They are applied after this package's own,
// so they can override them — except the consumer group settings a Subscriber
// relies on (manual commits, blocked rebalances).
func WithClientOpts(opts ...kgo.Opt) Option {
	return func(c *config) { c.clientOpts = append(c.clientOpts, opts...) }
}

// WithLogger sets the logger for handler failures, dead letters, consumer
// errors and the franz-go client's own warnings (default slog.Default()).
// Event data is never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithPublishTimeout bounds each Publish call, even when its ctx has no
// deadline (default 30s; 0 or less: only ctx bounds it). Publisher only.
func WithPublishTimeout(d time.Duration) Option {
	return func(c *config) { c.publishTimeout = d }
}

// WithMaxAttempts sets how many times the handler may fail on one record
// before the record is dead-lettered (default 5). Failures whose code is
// iam.CodeUnavailable (a database or service that does not answer) do not
// count: they are retried, with the backoff, until the dependency is back,
// and the partition waits meanwhile. n < 1 is treated as 1. Subscriber
// only.
func WithMaxAttempts(n int) Option {
	return func(c *config) { c.maxAttempts = max(n, 1) }
}

// WithBackoff sets the wait between two attempts at one record: min after the
// first failure, doubling after each further failure, capped at max (defaults
// 200ms and 5s). Subscriber only.
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) {
		c.backoffMin = min
		c.backoffMax = max
		if c.backoffMax < c.backoffMin {
			c.backoffMax = c.backoffMin
		}
	}
}

// WithMaxPollRecords bounds how many records one poll hands to the handlers
// (default 500: with an iam.Batcher, a lane's records of one poll are one
// transaction, so larger polls mean fewer commits). Rebalances wait while a poll's records are handled, so
// together with the attempts and backoff this bounds how long a member can
// hold up its group. n < 1 is treated as 1. Subscriber only.
func WithMaxPollRecords(n int) Option {
	return func(c *config) { c.maxPollRecords = max(n, 1) }
}

// WithLanes sets how many lanes a member splits a partition's records of
// one poll into, by key: lanes are handled concurrently (each in one batch
// with an iam.Batcher, so each holds a database connection meanwhile), the
// records of one lane in offset order, and events of one key always fall
// in the same lane, so per-key order holds (default 4). n < 1 is treated as
// 1: a partition's records strictly in offset order. Subscriber only.
func WithLanes(n int) Option {
	return func(c *config) { c.lanes = max(n, 1) }
}

// WithShutdownTimeout bounds the final offset commit and the group leave when
// a subscription's ctx ends (default 10s). Subscriber only.
func WithShutdownTimeout(d time.Duration) Option {
	return func(c *config) { c.shutdownTimeout = d }
}

// WithInstance makes every member this Subscriber runs a static member of
// its group (Kafka's group.instance.id, KIP-345), named after instance and
// the group (InstanceID). A process that restarts under the same instance
// name takes its partitions back at once, without the rebalance that waits
// for the session timeout of the member that died with it; on a graceful
// stop the member leaves its group explicitly, so its partitions move to the
// other replicas at once. instance must be stable across restarts and unique
// among the processes consuming the same groups (the host name, a pod name
// of a StatefulSet, OPENGATE_INSTANCE): two processes under one name fence
// each other. Empty: dynamic membership (the default). Subscriber only.
func WithInstance(instance string) Option {
	return func(c *config) { c.instance = instance }
}

// WithSessionTimeout sets how long the group coordinator waits without a
// heartbeat before it gives a member's partitions to the others (default
// 45s; brokers accept 6s to 30min unless configured otherwise). A shorter
// timeout moves the work of a crashed member sooner; too short, and a
// member that pauses (a long GC, a slow handler does not count: heartbeats
// run beside it) is thrown out. d ≤ 0 keeps the default. Subscriber only.
func WithSessionTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.sessionTimeout = d
		}
	}
}

// WithLogInterval sets how a failure that repeats (a broker that does not
// answer, a handler failing on every record) is logged: at once, then at
// most once per interval, starting at first and doubling up to most while
// it goes on, each line with repeated=n, the occurrences not logged since
// the previous line (defaults 1s and 1min). A failure that stops is
// logged as recovered with its count. Publisher (the client OpenPublisher
// makes) and Subscriber.
func WithLogInterval(first, most time.Duration) Option {
	return func(c *config) {
		if first > 0 {
			c.logFirst, c.logMost = first, max(first, most)
		}
	}
}

// WithTopicSettings sets how a Publisher or Subscriber creates a topic it
// finds re-created under a new id (a broker that came back empty): with
// these partitions, replication factor and configs rather than the
// brokers' auto-creation defaults (default: the brokers' defaults).
// Publisher and Subscriber.
func WithTopicSettings(s TopicSettings) Option {
	return func(c *config) { c.topics = s }
}

// Observer is told what a Subscriber's members do, for metrics
// (iammetrics.Consumers is one). Its methods are called on the handling
// path: they must be quick and safe for concurrent use.
type Observer interface {
	// Handled counts n records of topic that group's handler has handled
	// successfully.
	Handled(group, topic string, n int)
	// DeadLettered counts a record of topic that group gave up on and
	// copied to its dead-letter topic.
	DeadLettered(group, topic string)
}

// WithObserver reports handled and dead-lettered records to o.
// Subscriber only.
func WithObserver(o Observer) Option {
	return func(c *config) {
		if o != nil {
			c.observer = o
		}
	}
}

type nopObserver struct{}

func (nopObserver) Handled(string, string, int) {}
func (nopObserver) DeadLettered(string, string) {}

// backoff returns the wait after the attempt-th failure (attempt ≥ 1).
func (c *config) backoff(attempt int) time.Duration {
	d := c.backoffMin
	for i := 1; i < attempt && d < c.backoffMax; i++ {
		d *= 2
	}
	return min(d, c.backoffMax)
}
