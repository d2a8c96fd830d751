"""``RedisBudgetStore``: rate budgets shared by every process that uses one Redis.

Theory of operation
-------------------
Each (scope, bucket) of ``_budget`` lives in four Redis keys under
``{namespace}:{scope}:{bucket}:``: ``log`` (a sorted set of answered calls scored by the time the
answer arrived), ``fly`` (calls in flight, scored by their lease expiry), ``x`` (the top-up
estimates of rule 3, ``"seq:count"`` members) and ``m`` (a hash: the limit and the latest
``X-Ratelimit-Remaining``, the pause, the probe). The rules are ``_budget``'s; here they run in one
Lua script, so that

1. reserving a slot in every bucket of a request is atomic across processes, on the Redis
   server's clock (``TIME``: workers on several hosts agree), and costs at most one round trip;
2. settling writes back what the server said (``Remaining``, a 429 with or without
   ``Retry-After``): every worker learns it at its next reserve. Every reserve and settle that
   this process starts in one event-loop turn goes to Redis as ONE script call (``EVALSHA``
   with one operation per line; settles first, so the slots they free serve the reserves and a
   429's pause holds them): one command to encode and one answer to parse per loop turn, not
   per request. Each operation keeps its own answer; a call that fails fails each of them as it
   would have failed alone. Only a settle after a 429 is awaited (its pause is announced); the
   others ride along with the next call, or go by themselves a loop turn later. No request
   waits for a later loop turn than its own. (Measured, ``benchmarks/budget.py`` "store": a
   redis-py pipeline of one ``EVALSHA`` per request cost ~35 µs of client CPU per request with
   64 in flight; one call per loop turn costs ~10 µs.);
3. every key expires by itself (``PEXPIRE`` window + lease), and a call whose process died is
   logged when its lease ends (stamped then, conservatively), so it never leaks a slot; a
   probe whose process died holds its bucket's probe turn for ``PROBE_LEASE`` (30 s) at most;
4. the scope is an HMAC-SHA256 of the credential with a per-deployment ``hash_key`` (by default
   derived from the namespace): no token appears in Redis;
5. a Redis restart loses the log (the budget is re-learned: the buckets probe again and the
   ``X-Ratelimit-*`` headers top the log up to the server's count), so at most the calls in
   flight are unaccounted. A Redis outage either pauses every request until Redis answers
   (``on_outage="pause"``, the default; the call's deadline bounds it and raises RateLimitError
   naming the outage) or falls back to an in-memory budget per process (``on_outage="local"``),
   each logged once at WARNING.

redis-py's asyncio client does the protocol; after ``NOSCRIPT`` (a new or restarted Redis) the
script is loaded again and the call repeated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import sys
import time
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ._buckets import default_limit
from ._budget import (
    REASON_429,
    REASON_ESTIMATE,
    REASON_RETRY_AFTER,
    WAIT_FOR_CHANGE,
    BucketState,
    BudgetStore,
    Grant,
    InMemoryBudgetStore,
    Settled,
    probe_interval,
)
from ._errors import InvalidArgumentError
from ._logging import logger as _root_logger

if TYPE_CHECKING:
    import redis.asyncio as aioredis


class _NotLoaded(Exception):
    """Stands for redis-py's exceptions until :func:`load_redis` ran (nothing raises it)."""


# redis-py (the optional extra aioinstagram[redis]) is imported when a store or a job is made,
# not with aioinstagram (about 60 ms of every program's start): until then these stand for its
# exceptions, and no Redis call can happen before a store exists.
_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, OSError)
NoScriptError: type[BaseException] = _NotLoaded
RedisTimeoutError: type[Exception] = TimeoutError


def load_redis() -> None:
    """Import redis-py and its exceptions, once; ImportError saying how to install it."""
    global _OUTAGE_ERRORS, NoScriptError, RedisTimeoutError
    if NoScriptError is not _NotLoaded:
        return
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import NoScriptError as RedisNoScriptError
        from redis.exceptions import TimeoutError as RedisTimeout
    except ImportError as exc:  # pragma: no cover - the extra is not installed
        raise ImportError(_NEED_REDIS) from exc
    _OUTAGE_ERRORS = (RedisConnectionError, RedisTimeout, ConnectionError, OSError)
    RedisTimeoutError = RedisTimeout
    NoScriptError = RedisNoScriptError


if sys.version_info >= (3, 11):
    from asyncio import timeout as _deadline
else:  # pragma: no cover - Python 3.10: the backport (a dependency of redis-py there)
    from async_timeout import timeout as _deadline  # type: ignore[import-not-found,unused-ignore]

_NEED_REDIS = "RedisBudgetStore needs redis-py: pip install 'aioinstagram[redis]'"

__all__ = ["RedisBudgetStore"]

logger: logging.Logger = _root_logger.getChild("budget")

OutageMode = Literal["pause", "local"]
REASON_OUTAGE = "the Redis budget store is unreachable"

#: The deadline of one script call (redis-py's socket_timeout is left unset: see from_url).
_CALL_TIMEOUT = 5.0

#: How long a probe (rule 2 of _budget) holds its bucket's probe turn when its answer never comes
#: (its process died): the others wait for it at most this long, not the whole ``lease``. A
#: probe slower than this only lets a second probe through.
PROBE_LEASE = 30.0

# Shared Lua: the clock, purging a bucket, and its state for the client's views. KEYS are one
# prefix per bucket ("{namespace}:{scope}:{bucket}:"); the four keys are derived from it (a
# single Redis, or a cluster with the bucket's prefix in a hash tag).
_COMMON = (
    f"""
local REASON_ESTIMATE = {json.dumps(REASON_ESTIMATE)}
local REASON_RETRY_AFTER = {json.dumps(REASON_RETRY_AFTER)}
local REASON_FULL = {json.dumps(REASON_429 + ": the window is full")}
local REASON_PROBE = {json.dumps(REASON_429 + "; one probe will re-check")}
local PROBE_LEASE = {PROBE_LEASE!r}
"""
    + r"""
-- One script call runs every operation of one event-loop turn (reserves and settles), in
-- order. An operation is a line of '|'-separated fields: its kind ('R' a reserve, 'S' a
-- settle; lower case when nobody reads its views), its keys as indices in KEYS (','-separated:
-- a batch names each bucket's prefix once), then its arguments. begin() sets the context.
local function unpack_args(packed)
  local out = {}
  for field in string.gmatch(packed .. '|', '([^|]*)|') do out[#out + 1] = field end
  return out
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local OPS = {}  -- ARGV[1]: the operations, '\n'-separated (one argument for redis-py to encode)
for op in string.gmatch(ARGV[1], '[^\n]+') do OPS[#OPS + 1] = op end
local ARGV, IDX, window, lease, pi, ticket, ttl = {}, {}, 0, 0, 0, '', 0
local function begin(packed)
  local f = unpack_args(packed)
  IDX = {}
  for idx in string.gmatch(f[2], '%d+') do IDX[#IDX + 1] = tonumber(idx) end
  ARGV = {}
  for j = 3, #f do ARGV[j - 2] = f[j] end
  window = tonumber(ARGV[1])
  lease = tonumber(ARGV[2])
  pi = tonumber(ARGV[3])
  ticket = ARGV[4]
  ttl = math.ceil((window + lease) * 1000) + 1000
  return f[1], #IDX
end

local SUFFIX = {'log', 'fly', 'x', 'm'}
local function k(i, part) return KEYS[IDX[i]] .. SUFFIX[part] end

local function purge(i)
  local log, fly, x, m = k(i, 1), k(i, 2), k(i, 3), k(i, 4)
  local horizon = now - window
  local dead = redis.call('ZRANGEBYSCORE', fly, '-inf', now, 'WITHSCORES')
  for j = 1, #dead, 2 do
    redis.call('ZADD', log, dead[j + 1], dead[j])
    redis.call('ZREM', fly, dead[j])
  end
  local gone = redis.call('ZREMRANGEBYSCORE', log, '-inf', horizon)
  local xt = tonumber(redis.call('HGET', m, 'xt') or '0')
  local old = redis.call('ZRANGEBYSCORE', x, '-inf', horizon)
  if #old > 0 then
    for _, e in ipairs(old) do
      local count = tonumber(string.match(e, ':(%d+)$'))
      xt = xt - count
      gone = gone + count
    end
    redis.call('ZREMRANGEBYSCORE', x, '-inf', horizon)
    redis.call('HSET', m, 'xt', xt)
  end
  -- 'pc' counts the entries that ever left the window: settle compares the server's count with
  -- our log as of the request's send (rule 3 of _budget)
  if gone > 0 then redis.call('HINCRBY', m, 'pc', gone) end
  return redis.call('ZCARD', log) + redis.call('ZCARD', fly) + xt, xt
end

local function limit_of(i, default)
  local limit = tonumber(redis.call('HGET', k(i, 4), 'limit') or '')
  if limit == nil and default ~= '' then limit = tonumber(default) end
  return limit
end

local function view(i, out, default)
  local used = purge(i)
  local m = redis.call('HMGET', k(i, 4), 'limit', 'srem', 'pu', 'reason')
  local limit = m[1] or default
  table.insert(out, limit or '')
  table.insert(out, tostring(used))
  table.insert(out, tostring(redis.call('ZCARD', k(i, 2))))
  table.insert(out, m[2] or '')
  table.insert(out, tostring(math.max(0, tonumber(m[3] or '0') - now)))
  table.insert(out, m[4] or '')
end

local function touch(i)
  for part = 1, 4 do redis.call('PEXPIRE', k(i, part), ttl) end
end
"""
)

# A settle. ARGV: window, lease, probe interval, ticket, reached (0/1), limit, remaining, limited
# index (0 = none), retry_after ('' if none), the limit the 429's message stated ('' if none), the
# first bucket's 'pc' when the slots were taken ('' if unknown), then one default limit per
# bucket. Returns {paused seconds or '', bucket index, reason, views when asked...}.
_SETTLE_OP = r"""
local function settle_op(n, views)
  local reached = ARGV[5] == '1'
  local L, R = tonumber(ARGV[6]), tonumber(ARGV[7])
  local limited = tonumber(ARGV[8])
  local ra = tonumber(ARGV[9])
  local sent = tonumber(ARGV[11])
  local out = {'', '0', ''}
  for i = 1, n do
    local log, fly, x, m = k(i, 1), k(i, 2), k(i, 3), k(i, 4)
    redis.call('ZREM', fly, ticket)
    if reached then redis.call('ZADD', log, now, ticket) end
    local was_probe = redis.call('HGET', m, 'pt') == ticket
    if was_probe then redis.call('HDEL', m, 'pt', 'pexp') end
    if i == 1 and L ~= nil then
      redis.call('HSET', m, 'limit', L, 'srem', R)
      if limited == 0 then
        local used, xt = purge(i)
        if sent ~= nil then
          used = used + math.max(0, tonumber(redis.call('HGET', m, 'pc') or '0') - sent)
        end
        local surplus = (L - R) - used
        if surplus > 0 then
          local seq = redis.call('HINCRBY', m, 'xseq', 1)
          redis.call('ZADD', x, now, seq .. ':' .. surplus)
          redis.call('HINCRBY', m, 'xt', surplus)
        elseif xt > 0 then
          local excess = (redis.call('ZCARD', log) + xt) - (L - R)
          while excess > 0 do
            local newest = redis.call('ZRANGE', x, -1, -1, 'WITHSCORES')
            if #newest == 0 then break end
            local seq, count = string.match(newest[1], '^(%d+):(%d+)$')
            count = tonumber(count)
            local take = math.min(excess, count)
            redis.call('ZREM', x, newest[1])
            if count > take then
              redis.call('ZADD', x, newest[2], seq .. ':' .. (count - take))
            end
            redis.call('HINCRBY', m, 'xt', -take)
            excess = excess - take
          end
        end
      end
    end
    if i == limited then
      if i > 1 and tonumber(ARGV[10]) ~= nil then redis.call('HSET', m, 'limit', ARGV[10]) end
      local pause, reason
      if ra ~= nil then
        pause = math.min(math.max(ra, 0), window)
        reason = REASON_RETRY_AFTER
        local keep_until = now + pause - window
        redis.call('ZREMRANGEBYSCORE', log, '(' .. keep_until, '+inf')
        local newer = redis.call('ZRANGEBYSCORE', x, '(' .. keep_until, '+inf')
        for _, e in ipairs(newer) do
          redis.call('HINCRBY', m, 'xt', -tonumber(string.match(e, ':(%d+)$')))
        end
        redis.call('ZREMRANGEBYSCORE', x, '(' .. keep_until, '+inf')
      else
        purge(i)
        local limit = limit_of(i, ARGV[11 + i])
        local logged = redis.call('ZCARD', log)
        if limit ~= nil and logged > 0 and logged + redis.call('ZCARD', fly) >= limit then
          local first = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
          pause = math.min(tonumber(first[2]) + window - now, window)
          reason = REASON_FULL
        else
          pause = pi
          reason = REASON_PROBE
        end
      end
      local pu = tonumber(redis.call('HGET', m, 'pu') or '0')
      redis.call('HSET', m, 'pu', tostring(math.max(pu, now + pause)), 'np', '1', 'reason', reason)
      if pu <= now then out = {tostring(pause), tostring(i), reason} end
    elseif was_probe then
      redis.call('HSET', m, 'np', '0')
    end
    touch(i)
  end
  if views then
    for i = 1, n do view(i, out, ARGV[11 + i]) end
  end
  return table.concat(out, '|')
end
"""

# A reserve. ARGV: window, lease, probe interval, ticket, then one default limit per bucket ('' if
# none). Returns {wait, blocking bucket index, paused_until-now of that bucket, reason, the first
# bucket's 'pc' when the slots were taken ('' otherwise), views when asked...}.
_RESERVE_OP = r"""
local function reserve_op(n, views)
  local longest, longest_i, longest_reason, longest_pause = nil, 0, '', ''
  local change_i = 0
  local probes = {}
  local purged1 = false
  for i = 1, n do
    local m = k(i, 4)
    local meta = redis.call('HMGET', m, 'pu', 'np', 'pt', 'pexp', 'reason')
    local limit = limit_of(i, ARGV[4 + i])
    local pu = tonumber(meta[1] or '0')
    local needs_probe = (meta[2] == '1') or (meta[2] == false and limit == nil)
    local wait, reason, pause = 0, '', ''
    if now < pu then
      wait, reason, pause = pu - now, meta[5] or '', tostring(pu - now)
    elseif needs_probe then
      if meta[3] and tonumber(meta[4] or '0') > now then
        wait = -1
      else
        table.insert(probes, i)
      end
    elseif limit ~= nil then
      local used, xt = purge(i)
      if i == 1 then purged1 = true end
      if used >= limit then
        local real, est = math.huge, math.huge
        local first = redis.call('ZRANGE', k(i, 1), 0, 0, 'WITHSCORES')
        if #first > 0 then real = tonumber(first[2]) + window - now end
        local firstx = redis.call('ZRANGE', k(i, 3), 0, 0, 'WITHSCORES')
        if #firstx > 0 then est = tonumber(firstx[2]) + window - now end
        wait = math.min(real, est)
        if wait == math.huge then
          wait = -1
        elseif xt > 0 and wait > pi then
          wait, reason, pause = pi, REASON_ESTIMATE, tostring(pi)
          redis.call('HSET', m, 'pu', tostring(now + pi), 'np', '1', 'reason', reason)
          touch(i)
        else
          wait = math.max(wait, 0.001)
        end
      end
    end
    if wait == -1 then
      if change_i == 0 then change_i = i end
    elseif wait > 0 and (longest == nil or wait > longest) then
      longest, longest_i, longest_reason, longest_pause = wait, i, reason, pause
    end
  end
  local out
  if longest ~= nil then
    out = {tostring(longest), tostring(longest_i), longest_pause, longest_reason, ''}
  elseif change_i > 0 then
    out = {'-1', tostring(change_i), '', '', ''}
  else
    if not purged1 then purge(1) end
    for i = 1, n do
      redis.call('ZADD', k(i, 2), now + lease, ticket)
      touch(i)
    end
    for _, i in ipairs(probes) do
      local pexp = now + math.min(lease, PROBE_LEASE)
      redis.call('HSET', k(i, 4), 'pt', ticket, 'pexp', tostring(pexp))
    end
    out = {'0', '0', '', '', redis.call('HGET', k(1, 4), 'pc') or '0'}
  end
  if views then
    for i = 1, n do view(i, out, ARGV[4 + i]) end
  end
  return table.concat(out, '|')
end
"""

# The one script: every operation in order (the store puts settles first, so the slots they
# free serve the reserves of the same call); one answer per operation, '\n'-separated ('' for a
# settle nobody awaits).
_SCRIPT = (
    _COMMON
    + _SETTLE_OP
    + _RESERVE_OP
    + r"""
local answers = {}
for j = 1, #OPS do
  local kind, n = begin(OPS[j])
  if kind == 'R' or kind == 'r' then
    answers[j] = reserve_op(n, kind == 'R')
  elseif kind == 'S' then
    answers[j] = settle_op(n, true)
  else
    settle_op(n, false)
    answers[j] = ''
  end
end
return table.concat(answers, '\n')
"""
)
_SCRIPT_SHA = hashlib.sha1(_SCRIPT.encode()).hexdigest()  # the name EVALSHA knows it by


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBudgetStore(BudgetStore):
    """Rate budgets in Redis, shared by every client and process that uses the same Redis and
    ``namespace`` (see the module docstring for the rules).

    ``redis`` is a ``redis.asyncio.Redis`` (or use :meth:`from_url`). ``hash_key`` keys the HMAC
    that turns a credential into its Redis scope (set the same one on every worker of a
    deployment; by default it is derived from the namespace). ``lease`` is how long a call in
    flight holds its slot if its process dies. ``on_outage`` says what a request does while Redis
    is unreachable: ``"pause"`` (wait, bounded by the call's deadline) or ``"local"`` (spend from
    an in-memory budget of this process until Redis is back), retrying Redis every
    ``outage_retry`` seconds. ``owns_redis``: :meth:`aclose` closes the Redis client too."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        namespace: str = "aioinstagram",
        hash_key: bytes | str | None = None,
        lease: float = 120.0,
        on_outage: OutageMode = "pause",
        outage_retry: float = 0.5,
        owns_redis: bool = False,
    ) -> None:
        load_redis()
        if on_outage not in ("pause", "local"):
            raise InvalidArgumentError(f"on_outage must be 'pause' or 'local', not {on_outage!r}")
        if not namespace or not isinstance(namespace, str):
            raise InvalidArgumentError("namespace must be a non-empty string")
        if not lease > 0:
            raise InvalidArgumentError(f"lease must be positive, not {lease!r}")
        self.redis = redis
        self.namespace = namespace
        self.lease = float(lease)
        self.on_outage: OutageMode = on_outage
        self.outage_retry = outage_retry
        key = hash_key if hash_key is not None else "aioinstagram-budget:" + namespace
        self._hash_key = key.encode() if isinstance(key, str) else key
        self._owns_redis = owns_redis
        self._states: dict[tuple[str, str], tuple[list[str], float]] = {}
        # This loop turn's operations (one script call): settles (awaited or not) run first
        self._settles: list[_Op] = []
        self._reserves: list[_Op] = []
        self._awaited = False  # an awaited settle is waiting: flush this turn
        self._scheduled = False
        self._held = False  # operations wait for the call that is out (_flushed sends them)
        self._prefixes: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        self._shapes: dict[tuple[tuple[str, ...], float], tuple[str, str]] = {}
        self._waited = False
        self._flushes: set[asyncio.Future[None]] = set()
        self._seen_pause: dict[tuple[str, str], float] = {}
        # ticket -> the global bucket's count of entries that left the window when it was sent
        self._sent: dict[str, str] = {}
        self._local = InMemoryBudgetStore()
        self._outage = False
        self._next_try = 0.0  # during an outage, Redis is tried again after outage_retry
        self._tickets = 0
        self._instance = f"{os.getpid()}-{secrets.token_hex(6)}"

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisBudgetStore:
        """A store over ``redis.asyncio.from_url(url)`` (closed by :meth:`aclose`)."""
        try:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
        except ImportError as exc:  # pragma: no cover - the extra is not installed
            raise ImportError(_NEED_REDIS) from exc
        # One quick retry (a dropped idle connection), no backoff: an outage is ours to handle
        # (``on_outage``), not something to sit through inside redis-py.
        # No socket_timeout: redis-py wraps each send in asyncio.wait_for then, a task per
        # command before Python 3.12 (~35 µs of CPU a call, measured); each script call has its
        # own deadline instead (_CALL_TIMEOUT).
        redis = aioredis.from_url(
            url, socket_timeout=None, socket_connect_timeout=2.0, retry=Retry(NoBackoff(), 1)
        )
        return cls(redis, owns_redis=True, **kwargs)

    def __repr__(self) -> str:
        return f"<RedisBudgetStore namespace={self.namespace!r} on_outage={self.on_outage!r}>"

    def scope_for(self, credential: str) -> str:
        return hmac.new(self._hash_key, credential.encode(), hashlib.sha256).hexdigest()[:32]

    def _shape(self, buckets: tuple[str, ...], window: float) -> tuple[str, str]:
        """An operation's arguments before its ticket (window, lease, probe interval) and its
        last ones (each bucket's default limit), packed once."""
        shape = self._shapes.get((buckets, window))
        if shape is None:
            head = _pack(window, self.lease, probe_interval(window), "")
            tail = "".join("|" + _default(b) for b in buckets)
            shape = self._shapes[(buckets, window)] = (head, tail)
        return shape

    def _keys(self, scope: str, buckets: tuple[str, ...]) -> tuple[str, ...]:
        found = self._prefixes.get((scope, buckets))
        if found is None:
            found = tuple(f"{self.namespace}:{scope}:{bucket}:" for bucket in buckets)
            self._prefixes[(scope, buckets)] = found
        return found

    # -- the interface --------------------------------------------------------------------------

    async def reserve(self, scope: str, buckets: tuple[str, ...], *, window: float) -> Grant:
        self._tickets += 1
        ticket = f"{self._instance}:{self._tickets}"
        if self._outage and _now() < self._next_try:
            return self._outage_grant(scope, buckets, window, None)
        head, tail = self._shape(buckets, window)
        future: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self._reserves.append(
            _Op(self._keys(scope, buckets), head + ticket + tail, future, scope, buckets)
        )
        self._schedule()
        try:
            raw = await future
        except _OUTAGE_ERRORS as exc:
            return self._outage_grant(scope, buckets, window, exc)
        self._back_online()
        wait = float(raw[0])
        if wait == 0:
            self._sent[ticket] = raw[4]
            return Grant(0.0, ticket)
        index = int(raw[1]) - 1
        bucket = buckets[index]
        if wait == WAIT_FOR_CHANGE:
            return Grant(WAIT_FOR_CHANGE, bucket=bucket)
        reason = raw[3] or None
        paused: float | None = None
        pause_left = raw[2]
        if pause_left:
            paused = self._new_pause(scope, bucket, float(pause_left))
        return Grant(wait, bucket=bucket, paused=paused, reason=reason)

    async def settle(
        self,
        scope: str,
        buckets: tuple[str, ...],
        ticket: str,
        *,
        window: float,
        reached_server: bool,
        budget: tuple[int, int] | None = None,
        limited: int | None = None,
        retry_after: float | None = None,
        limit_hint: int | None = None,
    ) -> Settled:
        if ticket.startswith("local:"):
            return self._local.settle_now(
                scope,
                buckets,
                ticket.removeprefix("local:"),
                window=window,
                reached_server=reached_server,
                budget=budget,
                limited=limited,
                retry_after=retry_after,
                limit_hint=limit_hint,
            )
        sent = self._sent.pop(ticket, "")
        head, tail = self._shape(buckets, window)
        answer = "|1||" if budget is None else f"|1|{budget[0]}|{budget[1]}"
        if not reached_server:
            answer = "|0" + answer[2:]
        packed = (
            f"{head}{ticket}{answer}|{0 if limited is None else limited + 1}|"
            f"{'' if retry_after is None else retry_after}|"
            f"{'' if limit_hint is None else limit_hint}|{sent}{tail}"
        )
        keys = self._keys(scope, buckets)
        if limited is None and not self._outage:
            # No 429: this settle starts no pause, so nobody needs its answer. It rides along
            # with the script call of this loop turn or the next (one round trip for all the
            # reserves and settles of a turn), or goes by itself then.
            self._settles.append(_Op(keys, packed, None, scope, buckets))
            self._schedule()
            return Settled()
        future: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
        self._settles.append(_Op(keys, packed, future, scope, buckets))
        self._awaited = True
        self._schedule()
        try:
            raw = await future
        except _OUTAGE_ERRORS as exc:
            # The slot's lease frees it; what the server said is lost with this answer only.
            self._went_offline(exc)
            return Settled()
        self._back_online()
        paused = raw[0]
        if not paused:
            return Settled()
        bucket = buckets[int(raw[1]) - 1]
        self._seen_pause[(scope, bucket)] = _now() + float(paused)
        return Settled(float(paused), bucket, raw[2])

    async def wait_for_change(self, timeout: float) -> None:
        # Another process's answer is not pushed to us: look again soon.
        await asyncio.sleep(min(timeout, 0.02))

    def state(self, scope: str, bucket: str) -> BucketState | None:
        if self._outage and self.on_outage == "local":
            local = self._local.state(scope, bucket)
            if local is not None:
                return local
        found = self._states.get((scope, bucket))
        if found is None:
            return None
        (limit, used, fly, srem, pause_left, reason), seen = found
        left = float(pause_left) - (_now() - seen)
        return BucketState(
            bucket=bucket,
            limit=int(limit) if limit else None,
            used=int(used),
            in_flight=int(fly),
            server_remaining=int(srem) if srem else None,
            resumes_at=(
                dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=left) if left > 0 else None
            ),
            reason=(reason or None) if left > 0 else None,
        )

    def buckets(self, scope: str) -> list[str]:
        names = {name for (s, name) in self._states if s == scope}
        return sorted(names | set(self._local.buckets(scope)))

    async def aclose(self) -> None:
        for _ in range(100):  # settles not sent yet go first (a few loop turns at most)
            if not (self._scheduled or self._flushes):
                break
            if self._flushes:
                await asyncio.gather(*self._flushes, return_exceptions=True)
            # Always yield: from Python 3.12, gather() of futures already done returns without
            # a loop turn, so the flushes' done callbacks and a scheduled _flush_soon would
            # never run and this loop would spin.
            await asyncio.sleep(0)
        if self._owns_redis:
            self._owns_redis = False
            await self.redis.aclose()

    # -- one script call per loop turn ----------------------------------------------------------

    def _schedule(self, *, waited: bool = False) -> None:
        """Flush in the next loop turn; ``waited``: what is pending has waited long enough (no
        extra turn for lone settles)."""
        if waited:
            self._waited = True
        if not self._scheduled:
            self._scheduled = True
            self._waited = waited
            asyncio.get_running_loop().call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        """Send this loop turn's operations as one script call (one round trip, one command to
        encode and one answer to parse however many requests the turn started)."""
        loop = asyncio.get_running_loop()
        if not (self._reserves or self._awaited) and not self._waited:
            # Only settles: the requests they freed slots for reserve in the next loop turn.
            self._waited = True
            loop.call_soon(self._flush_soon)
            return
        self._scheduled = False
        if self._flushes:
            # A call is out: what this turn started goes with the next one, sent the moment
            # that call is back (one call in flight, as many operations in it as arrived
            # meanwhile; a lone request never finds a call out, so it never waits for one).
            self._held = True
            return
        self._awaited = False
        settles = len(self._settles)
        ops = self._settles + self._reserves
        self._settles, self._reserves = [], []
        task = asyncio.ensure_future(self._flush(ops, settles))
        self._flushes.add(task)
        task.add_done_callback(self._flushed)

    def _flushed(self, task: asyncio.Future[None]) -> None:
        self._flushes.discard(task)
        if self._held:
            self._held = False
            if self._settles or self._reserves or self._awaited:
                self._schedule(waited=True)  # held long enough already

    async def _flush(self, ops: list[_Op], settles: int) -> None:
        keys, arg, views = _encode(ops, settles)
        try:
            try:
                async with _deadline(_CALL_TIMEOUT):
                    try:
                        raw = await self.redis.evalsha(_SCRIPT_SHA, len(keys), *keys, arg)
                    except NoScriptError:  # a new or restarted Redis: load the script, once
                        await self.redis.script_load(_SCRIPT)
                        raw = await self.redis.evalsha(_SCRIPT_SHA, len(keys), *keys, arg)
            except asyncio.TimeoutError as exc:  # redis-py closed the connection it was on
                raise RedisTimeoutError(
                    f"the Redis budget store did not answer within {_CALL_TIMEOUT:g}s"
                ) from exc
        except BaseException as exc:
            # The whole call failed: every waiter gets the error it would get alone.
            for op in ops:
                future = op.future
                if future is not None and not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        answers = _text(raw).split("\n")
        for i, (op, answer) in enumerate(zip(ops, answers, strict=True)):
            future = op.future
            if future is None:
                continue
            fields = answer.split("|")
            if i in views:
                self._remember(op.scope, op.buckets, fields[5 if i >= settles else 3 :])
            if not future.done():
                future.set_result(fields)

    # -- helpers --------------------------------------------------------------------------------

    def _remember(self, scope: str, buckets: tuple[str, ...], flat: list[str]) -> None:
        """Keep each bucket's view as Redis returned it; ``state`` builds the value object."""
        now = _now()
        states = self._states
        for i, bucket in enumerate(buckets):
            states[(scope, bucket)] = (flat[6 * i : 6 * i + 6], now)

    def _new_pause(self, scope: str, bucket: str, left: float) -> float | None:
        """A pause this process has not announced yet (another worker may have started it)."""
        resume = _now() + left
        seen = self._seen_pause.get((scope, bucket), 0.0)
        if resume <= seen + 0.05:
            return None
        self._seen_pause[(scope, bucket)] = resume
        return left

    def _outage_grant(
        self, scope: str, buckets: tuple[str, ...], window: float, exc: BaseException | None
    ) -> Grant:
        first = not self._outage
        if exc is not None:
            self._went_offline(exc)
        if self.on_outage == "local":
            grant = self._local.reserve_now(scope, buckets, window=window)
            if grant.ticket is not None:
                return grant._replace(ticket="local:" + grant.ticket)
            return grant
        return Grant(
            self.outage_retry,
            bucket=buckets[0],
            paused=self.outage_retry if first else None,
            reason=REASON_OUTAGE,
        )

    def _went_offline(self, exc: BaseException) -> None:
        self._next_try = _now() + self.outage_retry
        if not self._outage:
            self._outage = True
            logger.warning(
                "%s (%s); %s",
                REASON_OUTAGE,
                type(exc).__name__,
                "requests wait until it answers"
                if self.on_outage == "pause"
                else "spending from this process's own budget until it is back",
            )

    def _back_online(self) -> None:
        if self._outage:
            self._outage = False
            logger.warning("the Redis budget store answers again; budgets are shared again")


class _Op(NamedTuple):
    """One reserve or settle of a loop turn's script call (``future`` None: nobody awaits it)."""

    prefixes: tuple[str, ...]
    packed: str
    future: asyncio.Future[list[str]] | None
    scope: str
    buckets: tuple[str, ...]


def _encode(ops: list[_Op], settles: int) -> tuple[list[str], str, set[int]]:
    """The script call's KEYS (each bucket's prefix once), its one argument (a line per
    operation, the first ``settles`` of them settles: one string for redis-py to encode), and
    the indices of the operations whose answer carries the buckets' views: an awaited settle,
    and the last reserve of each set of buckets (a process shows the latest state; the others'
    views would only be overwritten)."""
    keys: list[str] = []
    index: dict[str, int] = {}
    refs: dict[tuple[str, ...], str] = {}
    lines: list[str] = []
    views: set[int] = set()
    last: dict[tuple[str, ...], int] = {}
    for i, op in enumerate(ops):
        prefixes = op.prefixes
        ref = refs.get(prefixes)
        if ref is None:
            numbers = []
            for prefix in prefixes:
                n = index.get(prefix)
                if n is None:
                    keys.append(prefix)
                    n = index[prefix] = len(keys)
                numbers.append(str(n))
            ref = refs[prefixes] = ",".join(numbers)
        if i < settles:
            kind = "s" if op.future is None else "S"
            if op.future is not None:
                views.add(i)
        else:
            kind = "r"
            last[prefixes] = i
        lines.append(f"{kind}|{ref}|{op.packed}")
    for i in last.values():
        lines[i] = "R" + lines[i][1:]
        views.add(i)
    return keys, "\n".join(lines), views


def _pack(*values: object) -> str:
    """The scripts' arguments as one string (none contains '|')."""
    return "|".join(map(str, values))


def _default(bucket: str) -> str:
    limit = default_limit(bucket)
    return "" if limit is None else str(limit)


def _now() -> float:
    return time.monotonic()
