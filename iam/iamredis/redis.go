package iamredis

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
)

// CallTimeouts returns client with each command bounded by its context's
// per-call budget (iam.CallContext): rueidis waits for an answer, and
// retries read-only commands, for as long as the context lasts, so without
// a deadline a Redis that does not answer holds the request until it comes
// back. With one, the command fails (unavailable, through MapError) once
// the budget is spent, and the client reconnects by itself when Redis
// answers again. A context without a budget is left as it is.
func CallTimeouts(client rueidis.Client) rueidis.Client {
	if _, ok := client.(callTimeouts); ok {
		return client
	}
	return callTimeouts{Client: client}
}

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

// DoCache is Do with client-side caching: an answer from the cache costs
// nothing; a miss is bounded as Do is.
func (c callTimeouts) DoCache(ctx context.Context, cmd rueidis.Cacheable, ttl time.Duration) rueidis.RedisResult {
	ctx, cancel := iam.CallContext(ctx)
	defer cancel()
	return c.Client.DoCache(ctx, cmd, ttl)
}

// DoMultiCache is DoMulti with client-side caching, bounded as DoCache.
func (c callTimeouts) DoMultiCache(ctx context.Context, multi ...rueidis.CacheableTTL) []rueidis.RedisResult {
	ctx, cancel := iam.CallContext(ctx)
	defer cancel()
	return c.Client.DoMultiCache(ctx, multi...)
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

// MapError translates a Redis error once: nil is nil, a nil reply
// CodeNotFound, an error reply of a script starting with "CONFLICT"
// CodeConflict, any other error reply (a bug) CodeInternal, and anything
// else (network, ctx, the call budget) CodeUnavailable.
func MapError(op string, err error) error {
	if err == nil {
		return nil
	}
	if rueidis.IsRedisNil(err) {
		return &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "not found"}
	}
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		if strings.HasPrefix(re.Error(), "CONFLICT") {
			return &iam.Error{Code: iam.CodeConflict, Op: op, Message: "already exists", Err: err}
		}
		return &iam.Error{Code: iam.CodeInternal, Op: op, Err: err}
	}
	return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "redis unavailable", Err: err}
}

// GlobEscape escapes the glob metacharacters of Redis's MATCH in s.
func GlobEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DeletePrefix deletes every key that starts with prefix, on every node of
// a cluster (SCAN and UNLINK, a thousand keys at a time). Keys written
// meanwhile may survive. Errors are MapError's, with Op op.
func DeletePrefix(ctx context.Context, client rueidis.Client, op, prefix string) error {
	pattern := GlobEscape(prefix) + "*"
	for _, node := range client.Nodes() {
		var cursor uint64
		for {
			entry, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(pattern).Count(1000).Build()).AsScanEntry()
			if err != nil {
				return MapError(op, err)
			}
			if len(entry.Elements) > 0 {
				if err := node.Do(ctx, node.B().Unlink().Key(entry.Elements...).Build()).Error(); err != nil {
					return MapError(op, err)
				}
			}
			if cursor = entry.Cursor; cursor == 0 {
				return nil
			}
		}
	}
	return nil
}
