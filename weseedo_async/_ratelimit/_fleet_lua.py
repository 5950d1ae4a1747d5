"""The fleet gate's Lua: admission and feedback, atomic in Redis and clocked by Redis ``TIME``.

These scripts keep the parts of the gate that every send must pass — the cool-down, the
fleet-wide initial window, the fixed-window quota and a GCRA copy of the server's bucket at the
pace the leader published (:mod:`._fleet`) — so one round trip admits a batch of sends. The
learner itself is not here: it is the Python one (:mod:`._learner`), run by the leader on the
events these scripts record. What is written here again is small and mirrors
:class:`~._pacer.Pacer` (``configure``, ``ready_at``, ``take``, ``empty_at``) and
:class:`~._quota.FixedWindowQuota` (``apply``, ``available``, ``spend``, ``exhaust``); the
constants come from Python (``ARGV``), so the two cannot drift in their numbers.

State, one hash (``gate``): ``cool`` (cool-down end), ``win`` (the initial window; -1 when open),
``fl`` (the fleet's requests in flight), the published pace (``mode`` none|fixed|search, ``pr``,
``pb``, ``ramp``, ``ss``), the pacer (``rate``, ``burst``, ``tat``) and the quota (``qb`` budget,
``qe`` window end, ``qs`` the last window end a reply announced, ``ql`` window length,
``qlim``). Events for the leader go to a list: ``s <t>`` sent, ``a <t>`` accepted,
``r <sent> <pause> <now>`` refused.

One script does it all (:data:`ADMIT`): feedback and admission in one round trip, in order.
"""

from __future__ import annotations

__all__ = ["ADMIT", "DROP", "GET", "LEASE", "POP", "PUBLISH"]

_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local g, ev = KEYS[1], KEYS[2]
local s = {}
do
  local raw = redis.call('HGETALL', g)
  for i = 1, #raw, 2 do s[raw[i]] = raw[i + 1] end
end
local function n(f, d)
  local v = s[f]
  if v == nil or v == '' then return d end
  return tonumber(v)
end
local C = cjson.decode(ARGV[1])
local cool, win, fl = n('cool', 0), n('win', C.initial_window), n('fl', 0)
local rate, burst, tat = n('rate', nil), n('burst', 1), n('tat', -1e18)
local qb, qe, ql, qlim = n('qb', nil), n('qe', 0), n('ql', nil), n('qlim', nil)
local qs = n('qs', 0)
local function pace_now()
  -- The pace the leader published (a search's pace steps up as it goes), capped by max_rate; a
  -- declared quota replaces any learned pace.
  local mode, r, b = s['mode'] or '', nil, 1
  if qb == nil then
    if mode == 'fixed' then
      r, b = tonumber(s['pr']), tonumber(s['pb'])
    elseif mode == 'search' then
      local ramp, ss = tonumber(s['ramp']), tonumber(s['ss'])
      if now < ss then r = ramp else
        r = ramp * math.pow(2, math.floor(math.max(now - ss, 0) / C.step) / C.steps)
      end
      r, b = math.max(r, C.min_rate), C.slack
    end
  end
  if C.max_rate and (r == nil or r >= C.max_rate) then r, b = C.max_rate, 1 end
  return r, b
end
local function configure(r, b)
  -- Pacer.configure: keep the slots already earned, up to the new burst.
  if r == nil then rate = nil; tat = -1e18; return end
  if r == rate and b == burst then return end
  local level = b
  if rate ~= nil and tat > now then level = math.min(b, burst - (tat - now) * rate) end
  rate, burst = r, b
  tat = now + (b - level) / r
end
local function save()
  redis.call('HSET', g, 'cool', cool, 'win', win, 'fl', fl, 'burst', burst, 'tat', tat,
             'rate', rate or '', 'qb', qb or '', 'qe', qe, 'ql', ql or '', 'qlim', qlim or '',
             'qs', qs)
  redis.call('PEXPIRE', g, C.ttl_ms)
end
local function event(text)
  redis.call('RPUSH', ev, text)
end
"""

# ARGV: constants (JSON), wanted, completions, feedback, quota observation ('' or "remaining limit
# reset_in after", reset_in as of the call). The feedback is what the process learnt since its last
# call, in the order it learnt it, comma-separated: ``a <sent>`` accepted, ``r <sent> <pause>``
# refused (pause ``-`` without usable advice), ``c <pause>`` a cool-down announced to a request
# the fleet did not admit (a token request). It is applied before anything is granted, so a
# refusal closes the fleet's gate before the window the accepted replies opened can be spent.
# Returns {granted, wait, now, rate, window}: wait < 0 means "until a reply frees the window".
ADMIT = _COMMON + """
local function refuse(sent_at, pause)
  -- Closes the fleet's gate for the pause, and records the refusal for the leader.
  if pause ~= nil and now + pause > cool then cool = now + pause end
  if qb ~= nil and qlim ~= nil then
    qb = 0  -- FixedWindowQuota.exhaust: the server refused; this window is spent
  else
    win = -1  -- from here on the learner paces
    if rate ~= nil then
      -- Pacer.empty_at: the copied bucket was found empty at sent_at; what is in flight since
      -- took what came back meanwhile.
      tat = math.min(sent_at + (burst + fl) / rate, now + burst / rate)
    end
    event('r ' .. sent_at .. ' ' .. (pause ~= nil and pause or '-') .. ' ' .. now)
  end
end
local wanted, done = tonumber(ARGV[2]), tonumber(ARGV[3])
fl = math.max(0, fl - done)
for item in string.gmatch(ARGV[4], '[^,]+') do
  local kind, at, pause = string.match(item, '(%a) (%S+) ?(%S*)')
  if kind == 'a' then
    event('a ' .. at)
    if win >= 0 then
      win = win + C.growth
      if win >= C.open_window then win = -1 end
    end
  elseif kind == 'r' then
    refuse(tonumber(at), tonumber(pause))
  elseif kind == 'c' then
    -- A throttle of a request this script did not admit (the token endpoint's): its pause only.
    local p = tonumber(at)
    if p ~= nil and now + p > cool then cool = now + p end
  end
end
if ARGV[5] ~= '' then
  -- FixedWindowQuota.apply: the server's count lags by what the fleet has in flight.
  -- The reading's own process saw `after` of its sends finish since: counted by the server after
  -- it spoke, and no longer in `fl`.
  local rem, lim, reset_in, after = string.match(ARGV[5], '(%S+) (%S+) (%S+) (%S+)')
  rem, reset_in = tonumber(rem), tonumber(reset_in)
  if lim ~= '-' then qlim = tonumber(lim) end
  local fin = now + reset_in
  local allowed = math.max(0, rem - fl - tonumber(after))
  if fin > qs + C.same_window then
    -- The window's length is measured between two ends the server announced, never from one
    -- this script guessed when it rolled over on its own.
    if qs > 0 then ql = fin - qs end
    qs = fin
  end
  if qb == nil or fin > qe + C.same_window then
    qe, qb, win = fin, allowed, -1
  elseif fin >= qe - C.same_window and allowed < qb then
    qb = allowed
  end
end
local granted, wait = 0, 0
if now < cool then
  wait = cool - now
else
  local r, b = pace_now()
  configure(r, b)
  local searching = (s['mode'] == 'search') and qb == nil
  while granted < wanted do
    if win >= 0 and fl >= win then wait = -1; break end
    if qb ~= nil then
      if now >= qe then
        -- FixedWindowQuota._roll: a fresh window, less the fleet's sends still in flight (sent
        -- before the end, they may count in this window).
        if ql ~= nil and ql > 0 then while qe <= now do qe = qe + ql end else qe = now + 1 end
        if qlim ~= nil then qb = math.max(0, qlim - fl) else qb = nil end
      end
      if qb ~= nil and qb <= 0 then wait = qe - now; break end
    end
    if rate ~= nil then
      local ready = tat - (burst - 1) / rate - 1e-9
      if now < ready then wait = ready - now; break end
      tat = math.max(tat, now) + 1 / rate
    end
    if qb ~= nil then qb = qb - 1 end
    fl = fl + 1
    granted = granted + 1
    if searching then event('s ' .. now) end
  end
end
save()
redis.call('LTRIM', ev, -C.max_events, -1)
return {granted, tostring(wait), tostring(now), tostring(rate or -1), tostring(win)}
"""

# The leader's (:class:`._leader.Leader`): read and trim the fleet's events (with Redis' time),
# publish a pace (and save the learner's state), read or drop that state, hold the lease.
POP = """
local batch = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
redis.call('LTRIM', KEYS[1], #batch, -1)
local t = redis.call('TIME')
return {batch, tostring(tonumber(t[1]) + tonumber(t[2]) / 1e6)}
"""
PUBLISH = """
redis.call('HSET', KEYS[1], 'mode', ARGV[1], 'pr', ARGV[2], 'pb', ARGV[3], 'ramp', ARGV[4],
           'ss', ARGV[5])
if ARGV[6] ~= '' then redis.call('SET', KEYS[2], ARGV[6], 'PX', 3600000) end
return 1
"""
GET = """return redis.call('GET', KEYS[1])"""
DROP = """return redis.call('DEL', KEYS[1])"""
LEASE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
return 0
"""
