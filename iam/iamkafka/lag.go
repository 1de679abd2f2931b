package iamkafka

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam"
)

// runningGroups counts the Subscribe calls running per group.
type runningGroups struct {
	mu sync.Mutex
	n  map[string]int
}

func (g *runningGroups) add(group string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == nil {
		g.n = map[string]int{}
	}
	g.n[group]++
}

func (g *runningGroups) remove(group string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n[group]--; g.n[group] <= 0 {
		delete(g.n, group)
	}
}

func (g *runningGroups) list() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for group := range g.n {
		out = append(out, group)
	}
	slices.Sort(out)
	return out
}

// Lag returns, for each group this Subscriber is running a member of, how
// many records of each topic the group has not committed yet: the sum over
// the topic's partitions of the end offset minus the group's committed
// offset (or the partition's start, where the group has committed none).
// It asks the brokers (describe group, fetch offsets, list offsets) with a
// client of its own, so a member stuck on a record, or one whose handler
// cannot keep up, shows its true lag. A group the brokers cannot describe
// is left out; when none can be, the error is CodeUnavailable.
func (s *Subscriber) Lag(ctx context.Context) (map[string]map[string]int64, error) {
	const op = "iamkafka.Lag"
	groups := s.groups.list()
	if len(groups) == 0 {
		return map[string]map[string]int64{}, nil
	}
	client, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.seeds...)}, s.cfg.clientOpts...)...)
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeInvalid, Op: op, Message: "invalid Kafka client configuration", Err: err}
	}
	defer client.Close()
	lags, err := kadm.NewClient(client).Lag(ctx, groups...)
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "cannot compute consumer lag", Err: err}
	}
	out := map[string]map[string]int64{}
	var errs []error
	for group, l := range lags {
		if err := l.Error(); err != nil {
			errs = append(errs, err)
			continue
		}
		byTopic := map[string]int64{}
		for topic, tl := range l.Lag.TotalByTopic() {
			byTopic[topic] = tl.Lag
		}
		out[group] = byTopic
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "cannot compute consumer lag", Err: errors.Join(errs...)}
	}
	return out, nil
}
