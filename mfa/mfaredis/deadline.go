package mfaredis

import (
	"context"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
)

// callTimeouts is a rueidis.Client whose commands are bounded by their
// context's per-call budget (iam.CallContext), as authredis's are: without
// one, rueidis waits for a Redis that does not answer for as long as the
// request lasts. With one, the command fails (unavailable, through mapErr)
// once the budget is spent. Scripts run through Do and DoMulti.
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
