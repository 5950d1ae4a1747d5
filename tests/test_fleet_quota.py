"""The fleet gate's quota in Redis (``_fleet_lua.ADMIT``), on a real redis-server: what a new
window grants when some of the fleet's sends are still in flight."""

from __future__ import annotations

import json
import time

from weseedo_async._ratelimit._fleet import _CONSTANTS
from weseedo_async._ratelimit._fleet_lua import ADMIT
from weseedo_async._redis import SharedState

from .support.redis_server import RedisServer


async def admit(state: SharedState, wanted: int, done: int = 0) -> int:
    keys = [state.key("gate"), state.key("gate:events")]
    granted, *_ = await state.run(state.script(ADMIT), keys,
                                  [json.dumps(_CONSTANTS), wanted, done, "", ""])
    return int(granted)


async def test_a_new_window_grants_the_limit_less_what_is_in_flight(
    redis_server: RedisServer,
) -> None:
    state = SharedState(redis_server.url, prefix="t:")
    try:
        # The fleet spent a 10-request window; 6 of its sends are still in flight as it ends.
        await state.client.hset(state.key("gate"), mapping={
            "win": -1, "fl": 6, "qb": 0, "qe": time.time() - 0.01, "qs": time.time() - 0.01,
            "ql": 1.0, "qlim": 10,
        })
        assert await admit(state, wanted=10) == 4  # sent before the end, they may count here
        assert await admit(state, wanted=10, done=6) == 0  # their replies change nothing now
    finally:
        await state.close()
