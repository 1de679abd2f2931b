package iamkafka

import (
	"context"
	"errors"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/internal/lograte"
)

// Publisher publishes events to Kafka: each event is one record on the topic
// named by its Type, keyed by its Key (realm/subject) so one object's events
// keep their order, valued by its CloudEvents JSON, with the headers ce_type,
// ce_id and content-type.
//
// Its client should be an idempotent producer with acks from all in-sync
// replicas, which is franz-go's default; the default partitioner hashes keys
// like the Java client's. Since Publish waits for acknowledgements, a producer
// linger (franz-go's default is 10ms) adds to every Publish: give NewPublisher
// a client with kgo.ProducerLinger(0) unless it also batches other traffic. A Publisher is safe for concurrent use.
type Publisher struct {
	client *kgo.Client
	owned  bool
	cfg    config
}

var _ iam.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher producing through client, which the caller
// owns (Close does not close it). Options: WithPublishTimeout.
func NewPublisher(client *kgo.Client, opts ...Option) *Publisher {
	return &Publisher{client: client, cfg: newConfig(opts)}
}

// OpenPublisher returns a Publisher with its own client for the seed brokers
// (host:port), which Close closes. The client allows topic auto-creation where
// the brokers do, does not linger, and logs the client's warnings to
// WithLogger, a repeating one once per WithLogInterval. Options:
// WithClientOpts, WithPublishTimeout, WithLogger, WithLogInterval. Errors:
// CodeInvalid for no seeds or bad client options.
func OpenPublisher(seeds []string, opts ...Option) (*Publisher, error) {
	const op = "iamkafka.OpenPublisher"
	if len(seeds) == 0 {
		return nil, iam.Wrap(op, iam.Invalidf("seeds", "at least one seed broker is required"))
	}
	cfg := newConfig(opts)
	lim := lograte.New(cfg.logFirst, cfg.logMost)
	kopts := append([]kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.AllowAutoTopicCreation(),
		kgo.ProducerLinger(0), // Publish waits for acks: lingering only adds latency
		kgo.WithLogger(kgoLogger{log: cfg.logger, lim: lim, attrs: []slog.Attr{slog.String("client", "publisher")}}),
	}, cfg.clientOpts...)
	client, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeInvalid, Op: op, Message: "invalid Kafka client configuration", Err: err}
	}
	return &Publisher{client: client, owned: true, cfg: cfg}, nil
}

// Close closes the client if OpenPublisher created it; otherwise it does
// nothing. It always returns nil.
func (p *Publisher) Close() error {
	if p.owned {
		p.client.Close()
	}
	return nil
}

// Publish produces events and returns once every record is acknowledged. It
// never waits past ctx or the publish timeout: it then returns CodeUnavailable
// wrapping ctx's error, and records already handed to the client may still be
// written (delivery is at-least-once; a retried Publish may duplicate them).
// Errors: CodeInvalid for an event without a valid type or id (then nothing is
// produced) or one the brokers reject as too large or invalid, CodeUnavailable
// when the brokers fail or do not answer in time.
func (p *Publisher) Publish(ctx context.Context, events ...iam.Event) error {
	const op = "iamkafka.Publish"
	if len(events) == 0 {
		return nil
	}
	records := make([]*kgo.Record, len(events))
	for i, e := range iam.StampTrace(ctx, events) {
		r, err := newRecord(e)
		if err != nil {
			return iam.Wrap(op, err)
		}
		records[i] = r
	}
	if p.cfg.publishTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.publishTimeout)
		defer cancel()
	}
	return iam.Wrap(op, produce(ctx, p.client, records))
}

// produce hands records to client and waits for every acknowledgement or for
// ctx to end, whichever is first. franz-go only abandons an idempotently
// produced record when that is safe for its sequence numbers, which can be
// long after ctx ended; so we stop waiting instead.
func produce(ctx context.Context, client *kgo.Client, records []*kgo.Record) error {
	if err := ctx.Err(); err != nil {
		return produceError(err)
	}
	results := make(chan error, len(records)) // never blocks a late callback
	for _, r := range records {
		client.Produce(ctx, r, func(_ *kgo.Record, err error) { results <- err })
	}
	var first error
	for range records {
		select {
		case err := <-results:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			return produceError(ctx.Err())
		}
	}
	if first != nil {
		return produceError(first)
	}
	return nil
}

// produceError classifies a produce failure.
func produceError(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &iam.Error{Code: iam.CodeUnavailable, Message: "event bus did not acknowledge in time", Err: err}
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge),
		errors.Is(err, kerr.InvalidRecord), errors.Is(err, kerr.InvalidTopicException):
		return &iam.Error{Code: iam.CodeInvalid, Message: "event rejected by the event bus", Err: err}
	default:
		return &iam.Error{Code: iam.CodeUnavailable, Message: "event bus unavailable", Err: err}
	}
}
