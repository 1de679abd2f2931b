package iamkafka

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/internal/lograte"
)

// recoverEvery bounds how often one client purges and re-adds one topic.
const recoverEvery = time.Second

// recreated heals a client whose topics are gone or were deleted and
// created again under new topic ids — most often a broker that came back
// empty. franz-go never adopts a topic's new id (it cannot verify it
// against truncation); the topic fails with UNKNOWN_TOPIC_ID until the
// client purges and re-adds it. recreated does that, and creates missing
// topics with the deployment's settings (the clients do not ask the
// brokers to auto-create them, which would use the brokers' defaults).
type recreated struct {
	client   *kgo.Client
	settings TopicSettings
	log      *slog.Logger
	lim      *lograte.Limiter
	attrs    []slog.Attr // who heals: the group, or the publisher

	mu   sync.Mutex
	last map[string]time.Time // when each topic was last healed
}

func newRecreated(client *kgo.Client, cfg *config, lim *lograte.Limiter, attrs ...slog.Attr) *recreated {
	return &recreated{client: client, settings: cfg.topics, log: cfg.logger, lim: lim, attrs: attrs, last: map[string]time.Time{}}
}

// unknownTopicID reports whether err says that a topic's id is unknown to
// the broker: the topic was re-created under a new id.
func unknownTopicID(err error) bool { return errors.Is(err, kerr.UnknownTopicID) }

// unknownTopic reports whether err says that a topic does not exist, or
// not under the id the client knows.
func unknownTopic(err error) bool {
	return errors.Is(err, kerr.UnknownTopicID) || errors.Is(err, kerr.UnknownTopicOrPartition)
}

// due returns the topics not healed within recoverEvery, and marks them.
func (r *recreated) due(topics []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	var out []string
	for _, t := range topics {
		if now.Sub(r.last[t]) >= recoverEvery && !slices.Contains(out, t) {
			r.last[t] = now
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// producing heals topics the client produces to: it forgets them (records
// buffered for them fail, and are produced again by their callers), creates
// them and their dead-letter topics with the deployment's settings, and
// lets the next produce load their new ids. It reports whether it healed
// any (topics healed within the last second are skipped).
func (r *recreated) producing(ctx context.Context, topics []string) bool {
	topics = r.due(topics)
	if len(topics) == 0 {
		return false
	}
	r.logHealing(ctx, topics)
	r.client.PurgeTopicsFromProducing(topics...)
	r.create(ctx, topics)
	return true
}

// consuming heals topics the client consumes: it forgets them, creates
// them with the deployment's settings, and consumes them again; the group
// then starts them where its committed offsets say (from the earliest
// record when the broker lost those too).
func (r *recreated) consuming(ctx context.Context, topics []string) bool {
	topics = r.due(topics)
	if len(topics) == 0 {
		return false
	}
	r.logHealing(ctx, topics)
	r.client.PurgeTopicsFromConsuming(topics...)
	r.create(ctx, topics)
	r.client.AddConsumeTopics(topics...)
	return true
}

func (r *recreated) logHealing(ctx context.Context, topics []string) {
	key := failureKey(append([]string{"recreated", r.attrs[0].Value.String()}, topics...)...)
	r.lim.Log(ctx, r.log, slog.LevelWarn, key,
		"iamkafka: topics have new ids on the broker (deleted and re-created, or a broker that lost its data): purging and re-adding them",
		append(slices.Clone(r.attrs), slog.Any("topics", topics))...)
}

// create makes sure the topics and their dead-letter topics exist, with the
// deployment's settings, asking through r's client; a failure is logged.
func (r *recreated) create(ctx context.Context, topics []string) { r.createWith(ctx, r.client, topics) }

// createWith is create asking through client.
func (r *recreated) createWith(ctx context.Context, client *kgo.Client, topics []string) {
	all := make([]string, 0, 2*len(topics))
	for _, t := range topics {
		all = append(all, t)
		if !isDLQ(t) {
			all = append(all, DLQTopic(t))
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.settings.Create(cctx, kadm.NewClient(client), all...); err != nil && ctx.Err() == nil {
		r.lim.Log(ctx, r.log, slog.LevelWarn, failureKey("create topics", r.attrs[0].Value.String(), err.Error()),
			"iamkafka: cannot create the missing topics; create them (the clients do not ask the brokers to auto-create them)",
			append(slices.Clone(r.attrs), slog.String("error", err.Error()))...)
	}
}

func isDLQ(topic string) bool {
	return len(topic) > len(DLQSuffix) && topic[len(topic)-len(DLQSuffix):] == DLQSuffix
}

// topicIDs notices a member's topics re-created under new ids without
// waiting for the fetches to fail: franz-go retries a fetch on an unknown
// topic id for several seconds before it reports the error. It remembers
// the ids the brokers gave the member's topics and, checked at start, after
// each assignment (a broker that came back empty makes the group join
// again) and when a poll fails (at most once per recoverEvery), heals the
// topics whose id changed or that are gone.
type topicIDs struct {
	topics []string
	opts   []kgo.Opt // of a client to ask the brokers with

	mu   sync.Mutex // one check at a time
	ids  map[string]kadm.TopicID
	last time.Time
}

func newTopicIDs(topics []string, opts []kgo.Opt) *topicIDs {
	return &topicIDs{topics: topics, opts: opts, ids: map[string]kadm.TopicID{}}
}

// check compares the topics' ids with the brokers' and heals those that
// changed; unless force, it does nothing within recoverEvery of the
// previous check. It does nothing either when the brokers do not answer.
func (t *topicIDs) check(ctx context.Context, r *recreated, force bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !force && time.Since(t.last) < recoverEvery {
		return
	}
	t.last = time.Now()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// A client of its own: the member's answers metadata requests from
	// its cache, which still holds the old ids.
	admin, err := kgo.NewClient(t.opts...)
	if err != nil {
		return
	}
	defer admin.Close()
	details, err := kadm.NewClient(admin).ListTopics(cctx, t.topics...)
	if err != nil {
		return
	}
	var changed []string
	for _, topic := range t.topics {
		d, exists := details[topic]
		exists = exists && d.Err == nil
		if prev, known := t.ids[topic]; known && (!exists || d.ID != prev) {
			changed = append(changed, topic)
			delete(t.ids, topic)
		}
		if exists {
			t.ids[topic] = d.ID
		}
	}
	if len(changed) > 0 {
		r.consuming(ctx, changed)
	}
}
