package gatewayredis

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
)

// Limiter is a gateway.Limiter on Redis: one key per bucket (its GCRA
// theoretical arrival time in microseconds of Redis's clock), expiring
// when the bucket is full again.
//
// By default (exact) every Take is one round trip: the limits hold exactly
// across every replica sharing the Redis. With WithSync, Take admits from
// this replica's memory, without I/O, and a background loop sends the
// counts to Redis and takes back the buckets' shared state every interval:
// the limits hold within a bound across replicas (docs/gateway.md, "Rate
// limits across replicas"), and Close stops the loop.
type Limiter struct {
	client  rueidis.Client
	prefix  string
	timeout time.Duration
	every   time.Duration
	log     *slog.Logger

	local *local // nil: exact
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

var _ gateway.Limiter = (*Limiter)(nil)

// Option configures a Limiter.
type Option func(*Limiter)

// WithPrefix puts every key under prefix (default "opengate:ratelimit:").
func WithPrefix(prefix string) Option { return func(l *Limiter) { l.prefix = prefix } }

// WithTimeout bounds each Take (default 250 ms): a Redis that does not
// answer in time fails the Take, and the gateway lets the request pass.
// With WithSync it bounds each synchronisation instead.
func WithTimeout(d time.Duration) Option { return func(l *Limiter) { l.timeout = d } }

// WithSync makes Take admit from this replica's memory and synchronise
// with Redis every interval in the background: one pipelined round trip
// per interval for every bucket touched since the last, off the request
// path. interval <= 0 keeps the default, exact mode (one round trip per
// Take). DefaultSyncInterval is the binaries' default. Across N replicas a
// bucket of L requests per period P admits at most (N−1)·(L + 2·(interval
// + timeout)·L/P) more requests than the exact limiter in any window
// (docs/gateway.md); when Redis cannot be reached each replica keeps
// enforcing the limits alone, and a warning is logged when it starts and
// at most once a minute while it lasts.
func WithSync(interval time.Duration) Option { return func(l *Limiter) { l.every = interval } }

// WithLogger is where a synchronised Limiter reports failing and recovered
// synchronisations (default: nowhere).
func WithLogger(log *slog.Logger) Option { return func(l *Limiter) { l.log = log } }

// New returns a Limiter over client; the caller keeps owning the client.
// With WithSync it starts the synchronisation loop: call Close.
func New(client rueidis.Client, opts ...Option) *Limiter {
	l := &Limiter{client: client, prefix: "opengate:ratelimit:", timeout: 250 * time.Millisecond,
		log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(l)
	}
	if l.every > 0 {
		base := time.Now()
		l.start(newLocal(func() time.Duration { return time.Since(base) }, l.syncRedis, l.timeout, l.log))
	}
	return l
}

// start runs the synchronisation loop over s.
func (l *Limiter) start(s *local) {
	l.local = s
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go l.run()
}

// run synchronises every interval, forgets idle buckets every sweepEvery,
// and synchronises a last time when Close is called.
func (l *Limiter) run() {
	defer close(l.done)
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	sweep := max(1, int(sweepEvery/l.every))
	for n := 1; ; n++ {
		select {
		case <-l.stop:
			_ = l.local.sync(context.Background())
			return
		case <-tick.C:
			_ = l.local.sync(context.Background())
			if n%sweep == 0 {
				l.local.forget()
			}
		}
	}
}

// Close stops the synchronisation loop after sending the counts not yet
// sent (bounded by the timeout), and returns when it has stopped. A closed
// Limiter still admits from memory. Close on an exact Limiter does
// nothing.
func (l *Limiter) Close() {
	if l.local == nil {
		return
	}
	l.once.Do(func() { close(l.stop) })
	<-l.done
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

// Take implements gateway.Limiter. Exact: one EVALSHA; errors are
// iam.CodeUnavailable. Synchronised: from memory, never failing but for a
// bucket without a rate (iam.CodeInvalid).
func (l *Limiter) Take(ctx context.Context, buckets []gateway.Bucket) (gateway.Decision, error) {
	const op = "gatewayredis.Take"
	if len(buckets) == 0 {
		return gateway.Decision{Allowed: true}, nil
	}
	for _, b := range buckets {
		if b.Rate.IsZero() {
			return gateway.Decision{}, iam.Invalidf("rate", "bucket %s has no rate", b.Key)
		}
	}
	if l.local != nil {
		return l.local.take(buckets), nil
	}
	keys := make([]string, len(buckets))
	args := make([]string, 0, 2*len(buckets))
	for i, b := range buckets {
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
