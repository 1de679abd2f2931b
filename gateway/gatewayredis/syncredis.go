package gatewayredis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
)

// syncSource adds requests already admitted by a replica to their buckets,
// on Redis's clock: ARGV holds, per key, the count n, the bucket's
// requests and its period (µs). Each bucket's theoretical arrival time
// becomes max(stored, now) + n·interval — never refusing: the requests were
// admitted —, stored with the take script's encoding and expiry, so exact
// and synchronised replicas share the keys. It returns, per key, how far
// the bucket's theoretical arrival time is ahead of now (µs; 0 for a full
// bucket, whose key it leaves absent).
const syncSource = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {}
for i = 1, #KEYS do
  local n = tonumber(ARGV[3 * i - 2])
  local interval = math.floor(tonumber(ARGV[3 * i]) / tonumber(ARGV[3 * i - 1]))
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  if n > 0 then
    tat = tat + n * interval
    redis.call('SET', KEYS[i], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
  end
  out[i] = tat - now
end
return out
`

var syncSHA = func() string { h := sha1.Sum([]byte(syncSource)); return hex.EncodeToString(h[:]) }()

// syncChunk bounds the keys of one script call, so that a synchronisation
// of many buckets does not hold Redis for long in one script.
const syncChunk = 256

// syncRedis is the synchronisation over Redis: the sync script once per
// syncChunk buckets, all pipelined in one round trip (EVALSHA; the calls
// Redis answers NOSCRIPT, after a restart, are sent again as EVAL). Errors
// are iam.CodeUnavailable; the buckets of a call that failed are -1 in
// the answer (a call either applied all its counts or none).
func (l *Limiter) syncRedis(ctx context.Context, items []syncItem) ([]time.Duration, error) {
	const op = "gatewayredis.sync"
	type call struct {
		keys, args []string
	}
	calls := make([]call, 0, (len(items)+syncChunk-1)/syncChunk)
	for start := 0; start < len(items); start += syncChunk {
		chunk := items[start:min(start+syncChunk, len(items))]
		c := call{keys: make([]string, len(chunk)), args: make([]string, 0, 3*len(chunk))}
		for i, it := range chunk {
			c.keys[i] = l.prefix + it.key
			c.args = append(c.args, strconv.Itoa(it.n), strconv.Itoa(it.rate.Requests), strconv.FormatInt(it.rate.Per.Microseconds(), 10))
		}
		calls = append(calls, c)
	}
	cmds := make(rueidis.Commands, len(calls))
	for i, c := range calls {
		cmds[i] = l.client.B().Evalsha().Sha1(syncSHA).Numkeys(int64(len(c.keys))).Key(c.keys...).Arg(c.args...).Build()
	}
	results := l.client.DoMulti(ctx, cmds...)
	var retry []int
	for i, r := range results {
		if err, ok := rueidis.IsRedisErr(r.Error()); ok && err.IsNoScript() {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		cmds = cmds[:0]
		for _, i := range retry {
			c := calls[i]
			cmds = append(cmds, l.client.B().Eval().Script(syncSource).Numkeys(int64(len(c.keys))).Key(c.keys...).Arg(c.args...).Build())
		}
		for j, r := range l.client.DoMulti(ctx, cmds...) {
			results[retry[j]] = r
		}
	}
	out := make([]time.Duration, 0, len(items))
	var failed error
	for i, r := range results {
		v, err := r.AsIntSlice()
		if err == nil && len(v) != len(calls[i].keys) {
			err = &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed rate limiter answer"}
		}
		if err != nil {
			if failed == nil {
				failed = &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "rate limiter unavailable", Err: err}
			}
			for range calls[i].keys {
				out = append(out, -1)
			}
			continue
		}
		for _, us := range v {
			out = append(out, time.Duration(us)*time.Microsecond)
		}
	}
	return out, failed
}
