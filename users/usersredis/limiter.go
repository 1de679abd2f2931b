package usersredis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
	"github.com/opengate-iam/opengate/users"
)

// hit counts one event in KEYS[1]'s window of ARGV[1] milliseconds,
// opening the window on the first event (or if the key lost its TTL), and
// returns {count, milliseconds left}: one round trip, atomic.
const hit = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`

// Limiter is a users.Limiter in Redis: every replica given the same Redis
// and prefix counts in the same windows. Safe for concurrent use.
type Limiter struct {
	client rueidis.Client
	prefix string
	hit    *rueidis.Lua
}

var _ users.Limiter = (*Limiter)(nil)

// Option configures a Limiter.
type Option func(*Limiter)

// WithPrefix puts every key under prefix (default "opengate:",
// OPENGATE_REDIS_PREFIX); tests use the prefix iamtest.Redis returns.
func WithPrefix(prefix string) Option { return func(l *Limiter) { l.prefix = prefix } }

// NewLimiter returns a Limiter on client. Each command is bounded by its
// context's per-call budget (iam.WithCallTimeout), so a Redis that does not
// answer fails the call with CodeUnavailable quickly.
func NewLimiter(client rueidis.Client, opts ...Option) *Limiter {
	l := &Limiter{client: iamredis.CallTimeouts(client), prefix: "opengate:", hit: rueidis.NewLuaScript(hit)}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Hit implements users.Limiter. CodeInvalid for a window under a
// millisecond; CodeUnavailable when Redis does not answer.
func (l *Limiter) Hit(ctx context.Context, key string, window time.Duration) (int, time.Duration, error) {
	const op = "usersredis.Limiter.Hit"
	if window < time.Millisecond {
		return 0, 0, iam.Wrap(op, iam.Invalidf("window", "window must be at least a millisecond"))
	}
	res, err := l.hit.Exec(ctx, l.client, []string{l.prefix + "users:limit:" + key},
		[]string{strconv.FormatInt(window.Milliseconds(), 10)}).ToArray()
	if err != nil {
		return 0, 0, iamredis.MapError(op, err)
	}
	if len(res) != 2 {
		return 0, 0, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "unexpected answer from Redis"}
	}
	n, err := res[0].AsInt64()
	if err != nil {
		return 0, 0, iamredis.MapError(op, err)
	}
	ms, err := res[1].AsInt64()
	if err != nil {
		return 0, 0, iamredis.MapError(op, err)
	}
	return int(n), time.Duration(ms) * time.Millisecond, nil
}
