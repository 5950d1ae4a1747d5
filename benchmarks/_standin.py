"""A small stand-in for ``python -m weseedo_async.sandbox``, for developing the harness only.

It speaks the same process contract (flags, ready JSON line, ``/__sandbox`` admin API) for the few
calls the benchmarks make. The real benchmarks run the real sandbox; ``--standin`` is a developer
switch and its numbers are not results.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import math
import random
import secrets
import signal
import sys
import time
from typing import Any

from aiohttp import web

KINDS = ("dealers", "companies", "users", "sites")
PACKAGE = {"id": "594a5befcc9d4f9e2f1da19a", "name": "premium", "features": ["weseedo_personal"]}


class State:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.faults: list[tuple[str, float]] = [self.parse_fault(f) for f in args.fault]
        self.reset()

    @staticmethod
    def parse_fault(spec: str) -> tuple[str, float]:
        kind, prob = spec.split(":")[:2]
        return kind, float(prob)

    def reset(self) -> None:
        self.faults = []
        self.store: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
        self.keys: dict[str, collections.Counter[str]] = {k: collections.Counter() for k in KINDS}
        self.tokens: dict[str, float] = {}
        self.stats: collections.Counter[str] = collections.Counter()
        self.by_status: collections.Counter[int] = collections.Counter()
        self.bucket = float(self.args.burst)
        self.bucket_at = time.monotonic()
        self.window_index = -1
        self.window_count = 0

    def limit(self) -> tuple[float | None, dict[str, str]]:
        """(retry_after or None, headers) for one request."""
        headers: dict[str, str] = {}
        if self.args.window:
            secs_s, count_s = self.args.window.split(":")
            secs, count = float(secs_s), int(count_s)
            now = time.time()
            index = math.floor(now / secs)
            if index != self.window_index:
                self.window_index, self.window_count = index, 0
            reset = (index + 1) * secs
            admitted = self.window_count < count
            if admitted:
                self.window_count += 1
            if self.args.rate_headers:
                headers = {
                    "X-RateLimit-Limit": str(count),
                    "X-RateLimit-Remaining": str(count - self.window_count),
                    "X-RateLimit-Reset": str(math.ceil(reset)),
                }
            if not admitted:
                return max(1.0, math.ceil(reset - now)), headers
        if self.args.rate_limit:
            now = time.monotonic()
            rate = self.args.rate_limit
            self.bucket = min(self.args.burst, self.bucket + (now - self.bucket_at) * rate)
            self.bucket_at = now
            if self.bucket < 1.0:
                return float(max(1, math.ceil((1.0 - self.bucket) / rate))), headers
            self.bucket -= 1.0
        return None, headers

    def fault(self, kind: str) -> bool:
        return any(k == kind and random.random() < p for k, p in self.faults)


def envelope(result: Any) -> web.Response:
    return web.json_response({"success": True, "result": result})


def error(
    status: int, name: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {
        "transactionId": secrets.token_hex(8),
        "status": status,
        "name": name,
        "message": message,
    }
    return web.json_response(body, status=status, headers=headers)


def make_app(state: State) -> web.Application:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/__sandbox"):
            return await handler(request)  # type: ignore[no-any-return]
        state.stats["requests"] += 1
        if state.args.latency_ms:
            await asyncio.sleep(state.args.latency_ms / 1000)
        retry_after, headers = state.limit()
        if retry_after is not None:
            resp = error(
                429,
                "TooManyRequests",
                "rate limited",
                {**headers, "Retry-After": f"{retry_after:.0f}"},
            )
        elif state.fault("503"):
            state.stats["faults"] += 1
            resp = error(503, "ServiceUnavailable", "try later", {"Retry-After": "0"})
        else:
            resp = await handler(request)
            resp.headers.update(headers)
        state.by_status[resp.status] += 1
        return resp

    async def token(request: web.Request) -> web.Response:
        state.stats["token_requests"] += 1
        body = await request.json()
        if body.get("client_secret") != "standin-secret":
            return error(401, "Unauthorized", "bad credentials")
        tok = secrets.token_hex(16)
        ttl = state.args.token_ttl
        state.tokens[tok] = time.time() + ttl
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=ttl)
        return web.json_response(
            {"access_token": tok, "expires": expires.isoformat(), "token_type": "Bearer"}
        )

    def authorized(request: web.Request) -> bool:
        tok = request.headers.get("Authorization", "")[7:]
        return state.tokens.get(tok, 0.0) > time.time()

    async def create(request: web.Request) -> web.StreamResponse:
        if not authorized(request):
            return error(401, "Unauthorized", "token")
        kind = request.match_info["kind"]
        body = await request.json()
        if kind == "users" and any(
            u["email"] == body.get("email") for u in state.store["users"].values()
        ):
            return error(409, "Conflict", "email exists")
        ident = secrets.token_hex(12)
        obj = {**body, "id": ident}
        if kind == "companies":
            obj["package"] = PACKAGE
            obj["dealer"] = {"id": body.get("dealer"), "name": "Benchmark Dealer"}
        elif kind == "users":
            obj["entity"] = {**body.get("entity", {}), "name": "company"}
        elif kind == "sites":
            obj["company"] = {"id": body.get("company"), "name": "company"}
            obj["users"] = [
                {"id": u, "first_name": "B", "last_name": "M", "email": "x@example.nl"}
                for u in body.get("users", [])
            ]
        state.store[kind][ident] = obj
        scope = body.get("dealer") or body.get("company")
        key = body.get("email") or f"{scope}/{body.get('name')}"
        state.keys[kind][key] += 1
        if state.fault("error_after_commit"):
            state.stats["faults"] += 1
            return error(500, "InternalServerError", "oops")
        if state.fault("reset_after_commit") and request.transport is not None:
            state.stats["faults"] += 1
            request.transport.abort()
            raise asyncio.CancelledError
        return envelope(obj)

    async def listing(request: web.Request) -> web.Response:
        if not authorized(request):
            return error(401, "Unauthorized", "token")
        kind = request.match_info["kind"]
        items = list(state.store.get(kind, {}).values())
        for f in ("dealer", "company"):
            if f in request.query:
                want = request.query[f]
                items = [i for i in items if (i.get(f) or {}).get("id") == want]
        return envelope(items)

    async def packages(request: web.Request) -> web.Response:
        if not authorized(request):
            return error(401, "Unauthorized", "token")
        return envelope([PACKAGE])

    async def admin_reset(_r: web.Request) -> web.Response:
        state.reset()
        return envelope(None)

    async def admin_expire(_r: web.Request) -> web.Response:
        state.tokens.clear()
        return envelope(None)

    async def admin_faults(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            state.faults = []
        else:
            spec = await request.json()
            specs = spec if isinstance(spec, list) else [spec]
            state.faults += [(f["kind"], float(f["probability"])) for f in specs]
        return envelope(None)

    async def admin_stats(_r: web.Request) -> web.Response:
        return envelope(
            {
                **state.stats,
                "by_status": {str(k): v for k, v in state.by_status.items()},
                "committed": {k: sum(c.values()) for k, c in state.keys.items()},
                "duplicates": {
                    k: sum(n - 1 for n in c.values() if n > 1) for k, c in state.keys.items()
                },
            }
        )

    app = web.Application(middlewares=[middleware])
    app.router.add_post("/api/v2/oauth/token", token)
    app.router.add_get("/api/v2/management/packages", packages)
    app.router.add_post("/api/v2/management/{kind}", create)
    app.router.add_get("/api/v2/management/{kind}", listing)
    app.router.add_post("/__sandbox/reset", admin_reset)
    app.router.add_post("/__sandbox/tokens/expire", admin_expire)
    app.router.add_post("/__sandbox/faults", admin_faults)
    app.router.add_delete("/__sandbox/faults", admin_faults)
    app.router.add_get("/__sandbox/stats", admin_stats)
    return app


async def serve(args: argparse.Namespace) -> None:
    runner = web.AppRunner(make_app(State(args)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = runner.addresses[0][1]
    root = f"http://{args.host}:{port}"
    print(
        json.dumps(
            {
                "base_url": f"{root}/api/v2",
                "token_url": f"{root}/api/v2/oauth/token",
                "client_id": "standin",
                "client_secret": "standin-secret",
                "admin_url": f"{root}/__sandbox",
            }
        ),
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--rate-limit", type=float, default=0.0)
    p.add_argument("--burst", type=int, default=1)
    # The limiter family's knobs are accepted and ignored: the stand-in has one bucket shape.
    p.add_argument("--retry-after-fractional", action="store_true")
    p.add_argument("--bucket-jitter", type=float, default=0.0)
    p.add_argument("--window", default="")
    p.add_argument("--rate-headers", action="store_true")
    p.add_argument("--token-ttl", type=float, default=3600.0)
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    random.seed(args.seed)
    asyncio.run(serve(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
