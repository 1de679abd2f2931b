package sessionredis

// Scripts take the store's clock as ARGV[1] (now, Unix ms) and turn the
// session's absolute expiries into TTLs relative to it, which Redis then
// measures by its own clock.

// extendLua defines extend(key, at): make key live at least until at.
const extendLua = `
local function extend(key, at)
  local ttl = redis.call('PTTL', key)
  if ttl == -1 or (ttl >= 0 and ttl < at - now) then
    redis.call('PEXPIRE', key, math.max(at - now, 1))
  end
end
`

// createScript records or joins a session.
//
// KEYS: s, m, u, all, cl, cn, then c:<uuid> of each client.
// ARGV: now, sid, user id, username, ip, ua, st, la, ie, ex, then uuid and
// clientId of each client.
// Returns {1, hash} when created, {2, hash} when joined, {0} when the id
// has ended.
const createScript = `
local now = tonumber(ARGV[1])
local sid = ARGV[2]
local la, ie, ex = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local nclients = #KEYS - 6
` + extendLua + `
local function addClients(upto)
  for i = 1, nclients do
    local uuid, cid = ARGV[9 + 2 * i], ARGV[10 + 2 * i]
    redis.call('HSET', KEYS[1], 'c:' .. uuid, cid)
    redis.call('ZADD', KEYS[6 + i], upto, sid)
    extend(KEYS[6 + i], upto)
    local cur = redis.call('ZSCORE', KEYS[5], uuid)
    if not cur or tonumber(cur) < upto then
      redis.call('ZADD', KEYS[5], upto, uuid)
    end
    redis.call('HSET', KEYS[6], uuid, cid)
  end
  if nclients > 0 then
    extend(KEYS[5], upto)
    extend(KEYS[6], upto)
  end
end

local marker = redis.call('GET', KEYS[2])
if marker then
  if marker ~= 'a' then return {0} end
  local cur = redis.call('HMGET', KEYS[1], 'la', 'ie', 'ex')
  if not cur[2] or tonumber(cur[2]) <= now then return {0} end
  local cex = tonumber(cur[3])
  addClients(cex)
  if la > tonumber(cur[1]) then redis.call('HSET', KEYS[1], 'la', la) end
  local nie = math.min(ie, cex)
  if nie > tonumber(cur[2]) then
    redis.call('HSET', KEYS[1], 'ie', nie)
    redis.call('PEXPIRE', KEYS[1], nie - now)
  end
  return {2, redis.call('HGETALL', KEYS[1])}
end
redis.call('SET', KEYS[2], 'a', 'PX', ex - now)
redis.call('HSET', KEYS[1], 'u', ARGV[3], 'n', ARGV[4], 'ip', ARGV[5], 'ua', ARGV[6],
  'st', ARGV[7], 'la', la, 'ie', ie, 'ex', ex)
redis.call('PEXPIRE', KEYS[1], ie - now)
for _, k in ipairs({KEYS[3], KEYS[4]}) do
  redis.call('ZADD', k, ex, sid)
  extend(k, ex)
end
addClients(ex)
return {1, redis.call('HGETALL', KEYS[1])}
`

// touchScript records a use of an active session.
//
// KEYS: s. ARGV: now, la, ie. Returns the hash, or nil when the session is
// not active.
const touchScript = `
local now, la, ie = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cur = redis.call('HMGET', KEYS[1], 'la', 'ie', 'ex')
if not cur[2] or tonumber(cur[2]) <= now then return false end
if la > tonumber(cur[1]) then redis.call('HSET', KEYS[1], 'la', la) end
local nie = math.min(ie, tonumber(cur[3]))
if nie > tonumber(cur[2]) then
  redis.call('HSET', KEYS[1], 'ie', nie)
  redis.call('PEXPIRE', KEYS[1], nie - now)
end
return redis.call('HGETALL', KEYS[1])
`

// stateScript tells what the store knows of an id.
//
// KEYS: s, m. ARGV: now. Returns 1 active, 2 ended, 0 unknown.
const stateScript = `
local ie = redis.call('HGET', KEYS[1], 'ie')
if ie and tonumber(ie) > tonumber(ARGV[1]) then return 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
return 0
`

// terminateScript ends an active session and records its event.
//
// KEYS: s, m, u, all, pending, ev, then c:<uuid> of each client.
// ARGV: now, sid, event JSON, event TTL (ms).
// Returns 1 when it ended the session, 0 when it was not active.
const terminateScript = `
local now, sid = tonumber(ARGV[1]), ARGV[2]
local cur = redis.call('HMGET', KEYS[1], 'ie', 'ex')
if not cur[1] or tonumber(cur[1]) <= now then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], 'e', 'PX', math.max(tonumber(cur[2]) - now, 1))
redis.call('ZREM', KEYS[3], sid)
redis.call('ZREM', KEYS[4], sid)
for i = 7, #KEYS do redis.call('ZREM', KEYS[i], sid) end
redis.call('SET', KEYS[6], ARGV[3], 'PX', ARGV[4])
redis.call('ZADD', KEYS[5], now, sid)
return 1
`

// publishedScript forgets a published event.
//
// KEYS: pending, ev. ARGV: sid.
const publishedScript = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
`
