package gatewayredis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
)

// Limiter is a gateway.Limiter on Redis: one key per bucket (its GCRA
// theoretical arrival time in microseconds of Redis's clock), expiring
// when the bucket is full again.
type Limiter struct {
	client  rueidis.Client
	prefix  string
	timeout time.Duration
}

var _ gateway.Limiter = (*Limiter)(nil)

// Option configures a Limiter.
type Option func(*Limiter)

// WithPrefix puts every key under prefix (default "opengate:ratelimit:").
func WithPrefix(prefix string) Option { return func(l *Limiter) { l.prefix = prefix } }

// WithTimeout bounds each Take (default 250 ms): a Redis that does not
// answer in time fails the Take, and the gateway lets the request pass.
func WithTimeout(d time.Duration) Option { return func(l *Limiter) { l.timeout = d } }

// New returns a Limiter over client; the caller keeps owning the client.
func New(client rueidis.Client, opts ...Option) *Limiter {
	l := &Limiter{client: client, prefix: "opengate:ratelimit:", timeout: 250 * time.Millisecond}
	for _, o := range opts {
		o(l)
	}
	return l
}

// take is GCRA over KEYS, atomically: ARGV holds each bucket's requests and
// period (µs). When every bucket allows the request, each stores its new
// theoretical arrival time (expiring when the bucket is full again);
// otherwise nothing is stored. It returns the binding bucket's {allowed,
// limit, remaining, reset µs, retry µs}, as gateway.MemoryLimiter decides.
var take = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tats = {}
local best = nil
local allowed = true
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i - 1])
  local per = tonumber(ARGV[2 * i])
  local interval = math.floor(per / limit)
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local nt = tat + interval
  local allow_at = nt - per
  local d
  if allow_at > now then
    allowed = false
    d = {0, limit, 0, tat - now, allow_at - now}
  else
    d = {1, limit, math.floor((per - (nt - now)) / interval), nt - now, 0}
  end
  tats[i] = nt
  if best == nil then
    best = d
  elseif d[1] == 0 and (best[1] == 1 or d[5] > best[5]) then
    best = d
  elseif d[1] == 1 and best[1] == 1 and d[3] < best[3] then
    best = d
  end
end
if allowed then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], string.format('%d', tats[i]), 'PX', math.floor((tats[i] - now) / 1000) + 1)
  end
end
return best
`)

// Take implements gateway.Limiter: one EVALSHA. Errors are
// iam.CodeUnavailable.
func (l *Limiter) Take(ctx context.Context, buckets []gateway.Bucket) (gateway.Decision, error) {
	const op = "gatewayredis.Take"
	if len(buckets) == 0 {
		return gateway.Decision{Allowed: true}, nil
	}
	keys := make([]string, len(buckets))
	args := make([]string, 0, 2*len(buckets))
	for i, b := range buckets {
		if b.Rate.IsZero() {
			return gateway.Decision{}, iam.Invalidf("rate", "bucket %s has no rate", b.Key)
		}
		keys[i] = l.prefix + b.Key
		args = append(args, strconv.Itoa(b.Rate.Requests), strconv.FormatInt(b.Rate.Per.Microseconds(), 10))
	}
	if l.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.timeout)
		defer cancel()
	}
	v, err := take.Exec(ctx, l.client, keys, args).AsIntSlice()
	if err != nil {
		return gateway.Decision{}, &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "rate limiter unavailable", Err: err}
	}
	if len(v) != 5 {
		return gateway.Decision{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed rate limiter answer"}
	}
	return gateway.Decision{
		Allowed:    v[0] == 1,
		Limit:      int(v[1]),
		Remaining:  int(v[2]),
		ResetAfter: time.Duration(v[3]) * time.Microsecond,
		RetryAfter: time.Duration(v[4]) * time.Microsecond,
	}, nil
}
