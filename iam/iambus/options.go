package iambus

import (
	"context"
	"log/slog"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Defaults of a Bus built without options.
const (
	DefaultMaxAttempts = 5
	DefaultBackoffMin  = 100 * time.Millisecond
	DefaultBackoffMax  = 10 * time.Second
	DefaultQueueSize   = 10000
	DefaultShards      = 16
	DefaultConcurrency = 1
)

// DLQSuffix is appended to a topic to name its dead-letter topic.
const DLQSuffix = ".dlq"

// DLQTopic returns the dead-letter topic of topic: topic + ".dlq".
func DLQTopic(topic string) string { return topic + DLQSuffix }

// DeadLetter describes an event that a group gave up on: its handler failed
// Attempts times in a row.
type DeadLetter struct {
	Group    string    // the consumer group whose handler failed
	Topic    string    // the topic the event was consumed from
	Event    iam.Event // the event, unchanged
	Attempts int       // how many times the handler was called
	Err      error     // the handler's last error
}

// Option configures a Bus.
type Option func(*config)

type config struct {
	maxAttempts int
	backoffMin  time.Duration
	backoffMax  time.Duration
	queueSize   int
	shards      int
	concurrency int
	deadLetter  func(context.Context, DeadLetter)
	logger      *slog.Logger
}

func newConfig(opts []Option) config {
	c := config{
		maxAttempts: DefaultMaxAttempts,
		backoffMin:  DefaultBackoffMin,
		backoffMax:  DefaultBackoffMax,
		queueSize:   DefaultQueueSize,
		shards:      DefaultShards,
		concurrency: DefaultConcurrency,
		logger:      slog.Default(),
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithMaxAttempts sets how many times a handler is called for one event
// before the event is dead-lettered (default 5). n < 1 is treated as 1.
func WithMaxAttempts(n int) Option {
	return func(c *config) { c.maxAttempts = max(n, 1) }
}

// WithBackoff sets the wait between two attempts at one event: min after the
// first failure, doubling after each further failure, capped at max (defaults
// 100ms and 10s). Tests use small values, e.g. WithBackoff(time.Millisecond,
// 5*time.Millisecond).
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) {
		c.backoffMin = min
		c.backoffMax = max
		if c.backoffMax < c.backoffMin {
			c.backoffMax = c.backoffMin
		}
	}
}

// WithQueueSize bounds how many undelivered events one group keeps per topic
// (default 10000). When a queue is full, Publish waits for room until its ctx
// ends. n < 1 is treated as 1.
func WithQueueSize(n int) Option {
	return func(c *config) { c.queueSize = max(n, 1) }
}

// WithShards sets how many ordered lanes each group's topic queue has
// (default 16). Events of one Key always use the same lane and are handled one
// at a time in publish order; different lanes are handled in parallel by the
// group's consumers. n < 1 is treated as 1.
func WithShards(n int) Option {
	return func(c *config) { c.shards = max(n, 1) }
}

// WithConcurrency sets how many events each Subscribe call handles at once
// (default 1), each from a different lane. With n > 1 the handler must be
// safe for concurrent use.
func WithConcurrency(n int) Option {
	return func(c *config) { c.concurrency = max(n, 1) }
}

// WithDeadLetter sets a function called with every event a group gives up on,
// after the event has been published to its dead-letter topic. It runs on the
// consumer's goroutine; it should return quickly. Without it, dead letters are
// logged.
func WithDeadLetter(fn func(context.Context, DeadLetter)) Option {
	return func(c *config) { c.deadLetter = fn }
}

// WithLogger sets the logger for handler failures and dead letters (default
// slog.Default()). Event data is never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// backoff returns the wait after the attempt-th failure (attempt ≥ 1).
func (c *config) backoff(attempt int) time.Duration {
	d := c.backoffMin
	for i := 1; i < attempt && d < c.backoffMax; i++ {
		d *= 2
	}
	return min(d, c.backoffMax)
}
