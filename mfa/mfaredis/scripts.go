package mfaredis

// useStep records a TOTP step unless it or a later one was: 1 if recorded,
// else 0. KEYS[1] step key; ARGV[1] step, ARGV[2] ttl ms.
const useStep = `
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

// saveChallenge replaces the user's pending code. KEYS[1] otp key; ARGV[1]
// id, ARGV[2] hash hex, ARGV[3] expiry µs, ARGV[4] ttl ms.
const saveChallenge = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'hash', ARGV[2], 'exp', ARGV[3], 'att', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`

// attemptChallenge counts an attempt: {id, hash, exp, att}, or nil when
// there is no pending code. KEYS[1] otp key.
const attemptChallenge = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local att = redis.call('HINCRBY', KEYS[1], 'att', 1)
local v = redis.call('HMGET', KEYS[1], 'id', 'hash', 'exp')
return {v[1], v[2], v[3], tostring(att)}`

// deleteChallenge deletes the pending code if its id is ARGV[1]: 1 if it
// did, else 0. KEYS[1] otp key.
const deleteChallenge = `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`

// countSend counts a send in the window: {count, ms left}. KEYS[1] sends
// key; ARGV[1] window ms.
const countSend = `
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if n == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}`

// recordFailure counts a failure: {count, last µs}. The count restarts when
// the last failure is older than the reset. KEYS[1] fail key; ARGV[1] now
// µs, ARGV[2] reset µs, ARGV[3] ttl ms. (Unix microseconds stay below 2^53,
// exact in Lua's numbers.)
const recordFailure = `
local v = redis.call('HMGET', KEYS[1], 'n', 'last')
local n = tonumber(v[1]) or 0
local last = tonumber(v[2]) or 0
local now = tonumber(ARGV[1])
if last > 0 and now - last > tonumber(ARGV[2]) then n = 0 end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {n, ARGV[1]}`
