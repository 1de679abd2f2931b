package authredis

import (
	"context"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
)

// callTimeouts is a rueidis.Client whose commands are bounded by their
// context's per-call budget (iam.CallContext): rueidis waits for an answer,
// and retries read-only commands, for as long as the context lasts, so
// without a deadline a Redis that does not answer holds the request until it
// comes back. With one, the command fails (unavailable, through mapErr) once
// the budget is spent, and the client reconnects by itself when Redis
// answers again. A context without a budget is left as it is.
type callTimeouts struct{ rueidis.Client }

func (c callTimeouts) Do(ctx context.Context, cmd rueidis.Completed) rueidis.RedisResult {
	ctx, cancel := iam.CallContext(ctx)
	defer cancel()
	return c.Client.Do(ctx, cmd)
}

func (c callTimeouts) DoMulti(ctx context.Context, multi ...rueidis.Completed) []rueidis.RedisResult {
	ctx, cancel := iam.CallContext(ctx)
	defer cancel()
	return c.Client.DoMulti(ctx, multi...)
}

// Nodes returns the cluster's node clients, bounded the same way.
func (c callTimeouts) Nodes() map[string]rueidis.Client {
	nodes := c.Client.Nodes()
	out := make(map[string]rueidis.Client, len(nodes))
	for addr, n := range nodes {
		out[addr] = callTimeouts{Client: n}
	}
	return out
}
