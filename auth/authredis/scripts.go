package authredis

// Lua scripts. Each runs atomically on the server. Keys of one realm share
// the hash tag {realm}, so the keys a script derives from the record it reads
// (family and session markers) live in the same cluster slot.

// saveNX stores a record hash (field d, plus f and s for refresh tokens)
// unless the key exists, and adds the session to the user's session set.
// KEYS[1] record, KEYS[2] user-session set ("" skips); ARGV[1] data,
// ARGV[2] ttl ms, ARGV[3] family, ARGV[4] session id.
const saveNX = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'f', ARGV[3], 's', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[4] ~= '' and KEYS[2] ~= '' then
  redis.call('SADD', KEYS[2], ARGV[4])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
end
return 1`

// consumeCode records the first redemption of a code and returns
// {data} the first time, {data, redemption} afterwards; nil if absent.
// KEYS[1] code; ARGV[1] redemption, ARGV[2] keep ms.
const consumeCode = `
local v = redis.call('HMGET', KEYS[1], 'd', 'r')
if not v[1] then return false end
if v[2] then return {v[1], v[2]} end
redis.call('HSET', KEYS[1], 'r', ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {v[1]}`

// getRefresh returns {data, rotated, revoked} of a refresh token; nil if
// absent. KEYS[1] token; ARGV[1] realm key base.
const getRefresh = `
local v = redis.call('HMGET', KEYS[1], 'd', 'rot', 'f', 's')
if not v[1] then return false end
local revoked = 0
if redis.call('EXISTS', ARGV[1] .. 'fam:' .. v[3]) == 1 or
   (v[4] ~= '' and redis.call('EXISTS', ARGV[1] .. 'sess:' .. v[4]) == 1) then revoked = 1 end
local rotated = 0
if v[2] then rotated = 1 end
return {v[1], rotated, revoked}`

// rotateRefresh exchanges a current token for the next one and returns the
// old token's {data, rotated, revoked} as they were; nil if absent; an error
// reply "CONFLICT" if the next key exists.
// KEYS[1] old token, KEYS[2] next token, KEYS[3] user-session set ("" skips);
// ARGV[1] realm key base, ARGV[2] next data, ARGV[3] ttl ms, ARGV[4] next
// family, ARGV[5] next session id.
const rotateRefresh = `
local v = redis.call('HMGET', KEYS[1], 'd', 'rot', 'f', 's')
if not v[1] then return false end
local revoked = 0
if redis.call('EXISTS', ARGV[1] .. 'fam:' .. v[3]) == 1 or
   (v[4] ~= '' and redis.call('EXISTS', ARGV[1] .. 'sess:' .. v[4]) == 1) then revoked = 1 end
if v[2] or revoked == 1 then
  local rotated = 0
  if v[2] then rotated = 1 end
  return {v[1], rotated, revoked}
end
if redis.call('EXISTS', KEYS[2]) == 1 then return redis.error_reply('CONFLICT next token exists') end
redis.call('HSET', KEYS[1], 'rot', '1')
redis.call('HSET', KEYS[2], 'd', ARGV[2], 'f', ARGV[4], 's', ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[5] ~= '' and KEYS[3] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[5])
  if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
end
return {v[1], 0, 0}`

// mark sets a revocation marker for at least ttl, never shortening one.
// KEYS[1] marker; ARGV[1] ttl ms.
const mark = `
local t = redis.call('PTTL', KEYS[1])
if t == -1 then return 0 end
if t < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1`

// revokeUser marks every session in the user's set but one revoked and
// removes them from the set, returning their ids. KEYS[1] user-session set;
// ARGV[1] realm key base, ARGV[2] ttl ms, ARGV[3] the session to keep ("" for
// none).
const revokeUser = `
local sids = redis.call('SMEMBERS', KEYS[1])
local revoked = {}
for _, sid in ipairs(sids) do
  if sid ~= ARGV[3] then
    local k = ARGV[1] .. 'sess:' .. sid
    local t = redis.call('PTTL', k)
    if t ~= -1 and t < tonumber(ARGV[2]) then redis.call('SET', k, '1', 'PX', ARGV[2]) end
    redis.call('SREM', KEYS[1], sid)
    revoked[#revoked + 1] = sid
  end
end
return revoked`

// recordFailure counts a login failure and returns the new count.
// KEYS[1] record; ARGV[1] now ms, ARGV[2] reset-after ms (0 = never),
// ARGV[3] ttl ms, ARGV[4] ip.
const recordFailure = `
local v = redis.call('HMGET', KEYS[1], 'n', 'last')
local n = tonumber(v[1]) or 0
local last = tonumber(v[2]) or 0
local now = tonumber(ARGV[1])
local reset = tonumber(ARGV[2])
if reset > 0 and last > 0 and now - last > reset then n = 0 end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'last', ARGV[1], 'ip', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return n`

// revoked reports whether an access token is refused: 1 if it was issued
// before the realm's epoch (recorded as now if missing: the state was lost)
// or any of the revocation markers exists, else 0.
// KEYS[1] epoch, KEYS[2..] markers; ARGV[1] now s, ARGV[2] issued-at s.
const revoked = `
local e = redis.call('GET', KEYS[1])
if not e then
  redis.call('SET', KEYS[1], ARGV[1])
  e = ARGV[1]
end
if tonumber(ARGV[2]) < tonumber(e) then return 1 end
if #KEYS > 1 and redis.call('EXISTS', unpack(KEYS, 2)) > 0 then return 1 end
return 0`

// getBrowser returns {data, revoked} of an SSO record; nil if absent.
// KEYS[1] record; ARGV[1] realm key base.
const getBrowser = `
local v = redis.call('HMGET', KEYS[1], 'd', 's')
if not v[1] then return false end
local revoked = 0
if v[2] and v[2] ~= '' and redis.call('EXISTS', ARGV[1] .. 'sess:' .. v[2]) == 1 then revoked = 1 end
return {v[1], revoked}`
