"""Metrics and traces from the client's hooks: Prometheus and OpenTelemetry, no SDK dependency.

``client.hooks`` hands every request, reply, retry and throttle to your callables as a frozen
record; this file turns them into

- Prometheus metrics (``prometheus_client``: a request counter by method/path/status, a latency
  histogram, retry and throttle counters), and
- OpenTelemetry span events (``opentelemetry-api``: each reply an event on the current span),

each used only if its library is installed; without either, plain counters are printed. Run it as
it is (offline, on the embedded sandbox)::

    python examples/metrics.py
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from weseedo_async import (
    Contact,
    ResponseEvent,
    RetryEvent,
    ThrottleEvent,
    WeSeeDo,
)
from weseedo_async.sandbox import Sandbox


class PlainMetrics:
    """What the hooks give, counted in memory (the fallback when no metrics library is there)."""

    def __init__(self) -> None:
        self.replies: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()
        self.throttles = 0
        self.seconds = 0.0

    def install(self, client: WeSeeDo) -> None:
        client.hooks.on_response.append(self.on_response)
        client.hooks.on_retry.append(self.on_retry)
        client.hooks.on_throttle.append(self.on_throttle)

    def on_response(self, event: ResponseEvent) -> None:
        self.replies[f"{event.method} {event.status}"] += 1
        self.seconds += event.elapsed

    def on_retry(self, event: RetryEvent) -> None:
        self.retries[event.reason] += 1

    def on_throttle(self, event: ThrottleEvent) -> None:
        self.throttles += 1


def _route(path: str) -> str:
    # Metric labels must not carry ids (one series per entity would explode): keep the kind.
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:2]) + ("/{id}" if len(parts) > 2 else "")


def install_prometheus(client: WeSeeDo) -> bool:
    """Prometheus metrics on the default registry, if ``prometheus_client`` is installed."""
    try:
        from prometheus_client import Counter as PromCounter
        from prometheus_client import Histogram
    except ImportError:
        return False
    requests = PromCounter("weseedo_requests_total", "WeSeeDo API replies",
                           ["method", "route", "status"])
    latency = Histogram("weseedo_request_seconds", "WeSeeDo API reply time", ["method", "route"])
    retries = PromCounter("weseedo_retries_total", "WeSeeDo retries", ["reason"])
    throttles = PromCounter("weseedo_throttled_total", "WeSeeDo 429/503 replies", ["status"])

    def on_response(event: ResponseEvent) -> None:
        route = _route(event.path)
        requests.labels(event.method, route, str(event.status)).inc()
        latency.labels(event.method, route).observe(event.elapsed)

    client.hooks.on_response.append(on_response)
    client.hooks.on_retry.append(lambda e: retries.labels(e.reason).inc())
    client.hooks.on_throttle.append(lambda e: throttles.labels(str(e.status)).inc())
    return True


def install_opentelemetry(client: WeSeeDo) -> bool:
    """Each reply as an event on the current span, if ``opentelemetry-api`` is installed."""
    try:
        from opentelemetry import trace
    except ImportError:
        return False

    def on_response(event: ResponseEvent) -> None:
        attributes: dict[str, Any] = {
            "http.request.method": event.method, "url.path": _route(event.path),
            "http.response.status_code": event.status, "weseedo.attempt": event.attempt,
        }
        trace.get_current_span().add_event("weseedo.response", attributes)

    def on_retry(event: RetryEvent) -> None:
        trace.get_current_span().add_event(
            "weseedo.retry", {"weseedo.reason": event.reason, "weseedo.wait_s": event.wait}
        )

    client.hooks.on_response.append(on_response)
    client.hooks.on_retry.append(on_retry)
    return True


async def main() -> None:
    async with Sandbox(seed=3) as sb, WeSeeDo(
        sb.client_id, sb.client_secret, base_url=sb.base_url
    ) as client:
        plain = PlainMetrics()
        plain.install(client)
        prometheus = install_prometheus(client)
        otel = install_opentelemetry(client)
        sb.faults.inject("503", times=2, op="dealers.create")  # something to retry
        contact = Contact(first_name="Dev", last_name="Eloper", email="dev@example.nl")
        await asyncio.gather(*(
            client.dealers.create(name=f"Dealer {i}", contact=contact) for i in range(10)
        ))
        await client.dealers.list()
    print(f"replies: {dict(plain.replies)}")
    print(f"retries: {dict(plain.retries)}; throttled: {plain.throttles}")
    print(f"time on the wire: {plain.seconds:.3f} s")
    print(f"prometheus: {'on' if prometheus else 'not installed'}; "
          f"opentelemetry: {'on' if otel else 'not installed'}")


if __name__ == "__main__":
    asyncio.run(main())
