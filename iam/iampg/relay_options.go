package iampg

import (
	"log/slog"
	"time"
)

// Defaults of a Relay built without options.
const (
	DefaultBatchSize    = 100
	DefaultPollInterval = time.Second
	DefaultBackoffMin   = 100 * time.Millisecond
	DefaultBackoffMax   = 30 * time.Second
	DefaultRetention    = 7 * 24 * time.Hour
)

// pruneEvery bounds how often a relay prunes sent rows.
const pruneEvery = time.Minute

// RelayOption configures a Relay.
type RelayOption func(*relayConfig)

type relayConfig struct {
	batchSize    int
	pollInterval time.Duration
	backoffMin   time.Duration
	backoffMax   time.Duration
	retention    time.Duration
	logger       *slog.Logger
	logFirst     time.Duration
	logMost      time.Duration
	observer     RelayObserver
}

func newRelayConfig(opts []RelayOption) relayConfig {
	c := relayConfig{
		batchSize:    DefaultBatchSize,
		pollInterval: DefaultPollInterval,
		backoffMin:   DefaultBackoffMin,
		backoffMax:   DefaultBackoffMax,
		retention:    DefaultRetention,
		logger:       slog.Default(),
		logFirst:     time.Second,
		logMost:      time.Minute,
		observer:     nopRelayObserver{},
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithBatchSize sets how many rows one transaction claims and publishes in
// one Publish call (default 100). n < 1 is treated as 1.
func WithBatchSize(n int) RelayOption {
	return func(c *relayConfig) { c.batchSize = max(n, 1) }
}

// WithPollInterval sets how often the relay looks for rows when no
// notification arrives (default 1s). Notifications make publishing prompt;
// polling covers a lost listening connection and rows deferred behind another
// relay. d ≤ 0 is treated as 1ms.
func WithPollInterval(d time.Duration) RelayOption {
	return func(c *relayConfig) { c.pollInterval = max(d, time.Millisecond) }
}

// WithBackoff sets the wait after a failed batch: min after the first
// failure, doubling after each further one, capped at max (defaults 100ms and
// 30s). A success resets it.
func WithBackoff(min, max time.Duration) RelayOption {
	return func(c *relayConfig) {
		c.backoffMin = min
		c.backoffMax = max
		if c.backoffMax < c.backoffMin {
			c.backoffMax = c.backoffMin
		}
	}
}

// WithRetention sets how long sent rows are kept before the relay deletes
// them (default 7 days; checked at most once a minute). 0 disables pruning.
func WithRetention(d time.Duration) RelayOption {
	return func(c *relayConfig) { c.retention = max(d, 0) }
}

// WithLogger sets the logger for publish and database failures (default
// slog.Default()). Event data is never logged.
func WithLogger(l *slog.Logger) RelayOption {
	return func(c *relayConfig) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithLogInterval sets how a failure that repeats (a broker that does not
// answer, a database that is down) is logged: at once, then at most once
// per interval, starting at first and doubling up to most while it goes on,
// each line with repeated=n, the occurrences not logged since (defaults 1s
// and 1min). A failure that stops is logged as recovered with its count.
func WithLogInterval(first, most time.Duration) RelayOption {
	return func(c *relayConfig) {
		if first > 0 {
			c.logFirst, c.logMost = first, max(first, most)
		}
	}
}

// RelayObserver is told how a Relay's publishing goes, for metrics
// (iammetrics.Outboxes gives one per database). Its methods must be quick
// and safe for concurrent use.
type RelayObserver interface {
	// Published counts n events published and marked sent.
	Published(n int)
	// PublishFailed counts a batch of n events the bus refused or did not
	// acknowledge in time; they stay unsent and are retried.
	PublishFailed(n int)
}

// WithObserver reports published and failed batches to o.
func WithObserver(o RelayObserver) RelayOption {
	return func(c *relayConfig) {
		if o != nil {
			c.observer = o
		}
	}
}

type nopRelayObserver struct{}

func (nopRelayObserver) Published(int)     {}
func (nopRelayObserver) PublishFailed(int) {}

// backoff returns the wait after the n-th consecutive failure (n ≥ 1).
func (c *relayConfig) backoff(n int) time.Duration {
	d := c.backoffMin
	for i := 1; i < n && d < c.backoffMax; i++ {
		d *= 2
	}
	return min(d, c.backoffMax)
}
