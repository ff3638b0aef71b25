/**
 * The cluster's Lua scripts: each runs atomically in Redis, so what must change together (an
 * event and the presence it implies, all three keys of a name, a dead node's leaves and the
 * release of its names) changes together or not at all. Keys the scripts derive from others
 * (a node's presence hash, its heartbeat key) are named with the prefix in ARGV: charla runs
 * on one Redis (or a primary with replicas), not on Redis Cluster.
 */

/**
 * Publishes one event. KEYS: events stream, the room's history stream (the events stream again
 * when none), this node's presence hash, the set of rooms with history. ARGV: events MAXLEN,
 * history MAXLEN, the event (JSON), a presence field to delete ('' none), a field to set ('' none)
 * and its value, the room's key. Returns the entry's id, which the history entry shares.
 */
export const PUBLISH = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[3])
if KEYS[2] ~= KEYS[1] then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], id, 'e', ARGV[3])
  redis.call('SADD', KEYS[4], ARGV[7])
end
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], ARGV[5], ARGV[6]) end
return id
`;

/**
 * Claims a name: KEYS are its keys (fold, look-alike, IRC nick), ARGV the claimant's token and
 * the TTL in ms. All set (NX, or already the claimant's) or none: 1, or 0 when one is another's.
 */
export const CLAIM = `
for _, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v and v ~= ARGV[1] then return 0 end
end
for _, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1], 'PX', ARGV[2]) end
return 1
`;

/** Releases name keys, each only if it still holds the token (ARGV[1]): a name is released only by its holder. */
export const RELEASE = `
local n = 0
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k); n = n + 1 end
end
return n
`;

/**
 * Refreshes (or, after a Redis restart, takes again) a node's names: KEYS are name keys, ARGV[i]
 * the token each should hold, ARGV[#KEYS + 1] the TTL. Returns the 1-based indices of keys held
 * by someone else (names taken elsewhere while this node was cut off).
 */
export const REFRESH = `
local ttl = ARGV[#KEYS + 1]
local lost = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v == ARGV[i] then redis.call('PEXPIRE', k, ttl)
  elseif not v then redis.call('SET', k, ARGV[i], 'PX', ttl)
  else table.insert(lost, i) end
end
return lost
`;

/**
 * The cluster's presence and where the events stream stands, in one instant. KEYS: events
 * stream, the set of nodes. ARGV[1]: the key prefix. Returns { last id ('0-0' when empty), node,
 * its presence values, node, ... } for every node whose heartbeat is alive.
 */
export const SNAPSHOT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local out = { '0-0' }
if #last > 0 then out[1] = last[1][1] end
for _, node in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 1 then
    table.insert(out, node)
    table.insert(out, redis.call('HVALS', ARGV[1] .. 'presence:' .. node))
  end
end
return out
`;

/**
 * Reaps nodes: those whose heartbeat expired (ARGV[3] = ''), or just ARGV[3] (a node shutting
 * down). For each: a leave event (reason ARGV[4]) per user of its presence, its users' names
 * released (each key only if it still holds that user's token), its presence and membership
 * deleted. KEYS: the set of nodes, events stream. ARGV: prefix, events MAXLEN, node, reason.
 * Atomic: whichever node runs it first reaps a dead node, the others then find nothing to do (the
 * script is the reap lock). Returns { node, users reaped, ... }.
 */
export const REAP = `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if (ARGV[3] == '' and redis.call('EXISTS', ARGV[1] .. 'alive:' .. node) == 0) or node == ARGV[3] then
    local hash = ARGV[1] .. 'presence:' .. node
    local users = redis.call('HVALS', hash)
    for _, v in ipairs(users) do
      local ok, p = pcall(cjson.decode, v)
      if ok and type(p) == 'table' and type(p.u) == 'table' then
        local ev = cjson.encode({ t = 'leave', rooms = p.u.rooms, name = p.u.name, reason = ARGV[4], node = node, sid = 0 })
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'e', ev)
        if type(p.k) == 'table' then
          for _, k in ipairs(p.k) do
            if redis.call('GET', k) == p.tok then redis.call('DEL', k) end
          end
        end
      end
    end
    redis.call('DEL', hash)
    redis.call('DEL', ARGV[1] .. 'alive:' .. node)
    redis.call('SREM', KEYS[1], node)
    table.insert(out, node)
    table.insert(out, #users)
  end
end
return out
`;
