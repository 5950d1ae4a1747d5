"""Runs scenarios: the server process, one worker process per client run, rounds, medians.

Everything here is synchronous and stdlib-only: the harness must not compete with the processes it
measures. The server is ``python -m weseedo_async.sandbox --json`` (or the developer
stand-in); every client run is ``python -m benchmarks._worker`` in a fresh process, so its peak
RSS and its CPU are its own. Between runs the sandbox is reset; its counters before and after
give the server-side numbers.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from . import _stats
from .scenarios import RAW, Scenario, Summary, median_or_none

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_MODULE = "weseedo_async.sandbox"
STANDIN_MODULE = "benchmarks._standin"
PACKAGE_ID = "594a5befcc9d4f9e2f1da19a"  # the guide's premium package, seeded by the sandbox
READY_TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 30.0
SETUP_ATTEMPTS = 5

Log = Callable[[str], None]


class ServerError(RuntimeError):
    """The sandbox process did not start or did not answer its admin API."""


class ServerProcess:
    """The sandbox in its own process, with the knobs one scenario needs."""

    def __init__(self, args: list[str], *, standin: bool = False) -> None:
        module = STANDIN_MODULE if standin else SANDBOX_MODULE
        self.cmd = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", "0"]
        self.cmd += ["--seed", "1", "--json", *args]
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, str] = {}
        self._out: IO[bytes] | None = None
        self._err: IO[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        # Files, not pipes: a chatty server must never block on a full pipe while we measure.
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed args
            self.cmd, stdout=self._out, stderr=self._err, cwd=ROOT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            self._out.seek(0)
            first = self._out.readline()
            if first.endswith(b"\n"):
                try:
                    self.info = json.loads(first)
                except ValueError as exc:
                    self.stop()
                    raise ServerError(f"unexpected ready line: {first[:200]!r}") from exc
                for key in ("base_url", "token_url", "client_id", "client_secret", "admin_url"):
                    if key not in self.info:
                        self.stop()
                        raise ServerError(f"ready line lacks {key!r}: {sorted(self.info)}")
                if not self.info["base_url"].startswith("http://127.0.0.1"):
                    self.stop()
                    raise ServerError(f"server is not on 127.0.0.1: {self.info['base_url']}")
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        tail = self.stderr_tail()
        self.stop()
        raise ServerError(f"{' '.join(self.cmd[1:])} did not become ready:\n{tail}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU the server process has used so far (None when unknown)."""
        if self.proc is None:
            return None
        try:
            import psutil  # optional (the bench extra); /proc is the fallback on Linux
        except ImportError:
            try:
                fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        try:
            times = psutil.Process(self.proc.pid).cpu_times()
        except psutil.Error:
            return None
        return float(times.user + times.system)

    def stderr_tail(self, limit: int = 2000) -> str:
        if self._err is None:
            return ""
        self._err.seek(0)
        return self._err.read().decode(errors="replace")[-limit:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        for f in (self._out, self._err):
            if f is not None:
                f.close()
        self._out = self._err = None

    # -- HTTP, stdlib only -------------------------------------------------------------------

    def _call(self, method: str, url: str, body: Any = None, token: str | None = None) -> Any:
        assert url.startswith("http://127.0.0.1")  # never anything but the local sandbox
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # The harness's own set-up requests meet the scenario's rate limiter too: wait it out.
        for _attempt in range(SETUP_ATTEMPTS):
            req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - http to 127.0.0.1 only
            try:
                with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:  # noqa: S310 - as above
                    raw = resp.read()
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300].decode(errors="replace")
                if exc.code == 429:
                    time.sleep(min(float(exc.headers.get("Retry-After") or 1), 5.0))
                    continue
                raise ServerError(f"{method} {url} → {exc.code}: {detail}") from exc
            except OSError as exc:
                raise ServerError(f"{method} {url}: {exc}") from exc
            return json.loads(raw) if raw.strip() else None
        raise ServerError(f"{method} {url}: still 429 after {SETUP_ATTEMPTS} attempts")

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"{self.info['admin_url']}/{path}", body)

    def reset(self) -> None:
        self.admin("POST", "reset")

    def counts(self) -> dict[str, Any]:
        return _stats.counts(self.admin("GET", "stats"))

    def token(self) -> str:
        reply = self._call(
            "POST",
            self.info["token_url"],
            {
                "grant_type": "client_credentials",
                "client_id": self.info["client_id"],
                "client_secret": self.info["client_secret"],
            },
        )
        return str(reply["access_token"])

    def setup(self) -> tuple[str, str]:
        """A dealer every run's companies belong to, and the package id: (dealer_id, package_id)."""
        token = self.token()
        base = self.info["base_url"]
        packages = self._call("GET", f"{base}/management/packages", token=token)["result"]
        ids = [str(p["id"]) for p in packages]
        package = PACKAGE_ID if PACKAGE_ID in ids or not ids else ids[0]
        dealer = self._call(
            "POST",
            f"{base}/management/dealers",
            {
                "name": "Benchmark Dealer",
                "contact": {
                    "first_name": "Bench",
                    "last_name": "Dealer",
                    "email": "bench.dealer@example.nl",
                    "phone": "+31612345678",
                    "language": "nl",
                },
                "notification_contact": {"email": "bench.ops@example.nl"},
            },
            token=token,
        )
        return str(dealer["result"]["id"]), package

    def warm(self, requests: int = 100) -> None:
        """A few requests before the first measured run, so no client pays the server's warm-up."""
        self.probe(samples=requests)
        self.reset()

    def probe(self, samples: int = 5) -> float:
        """Median round trip of a small authenticated GET: the "send time" of one request."""
        token = self.token()
        url = f"{self.info['base_url']}/management/packages"
        times = []
        for _ in range(samples):
            t0 = time.perf_counter()
            self._call("GET", url, token=token)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)


# -- one run ---------------------------------------------------------------------------------


def run_worker(
    server: ServerProcess,
    scenario: Scenario,
    client: str,
    *,
    n: int,
    dealer: str,
    package: str,
    prefix: str,
    deadline_s: float,
    start_at: float = 0.0,
    pythonpath: str | None = None,
) -> dict[str, Any]:
    info = server.info
    options = {
        "client": client, "scenario": scenario.key, "kind": scenario.kind, "n": n,
        "concurrency": scenario.concurrency, "base-url": info["base_url"],
        "token-url": info["token_url"], "client-id": info["client_id"],
        "client-secret": info["client_secret"], "admin-url": info["admin_url"], "dealer": dealer,
        "package": package, "prefix": prefix, "deadline": f"{deadline_s:g}",
        "start-at": f"{start_at:.3f}",
    }  # fmt: skip
    # --name=value: a generated secret may start with "-", which argparse would take for a flag
    cmd = [sys.executable, "-m", "benchmarks._worker", *(f"--{k}={v}" for k, v in options.items())]
    # A baseline checkout goes first on the path (and is the working directory, which Python
    # puts before it), so its weseedo_async is the one imported; benchmarks come from ROOT.
    path = str(ROOT) if pythonpath is None else os.pathsep.join((pythonpath, str(ROOT)))
    env = {**os.environ, "PYTHONPATH": path}
    wait = max(0.0, start_at - time.time())
    try:
        proc = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed args
            cmd,
            capture_output=True,
            text=True,
            cwd=pythonpath or ROOT,
            env=env,
            timeout=wait + deadline_s + 30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"status": "killed", "note": "worker did not stop at its deadline"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            try:
                return dict(json.loads(line))
            except ValueError:
                break
    tail = (proc.stderr or proc.stdout)[-400:].strip().replace("\n", " | ")
    return {"status": "error", "note": f"worker exit {proc.returncode}: {tail}"}


def episodes(entries: list[dict[str, Any]], round_trip_s: float) -> tuple[int, int]:
    """(429s of the first episode, 429s after it) by the sandbox's clock, from its journal.

    The first episode is what the client sent before the first 429 could teach it anything; here
    approximated by the refusals decided within a few idle round trips of the first one, which
    counts a burst's queued requests as later. Used where a client reports no send times.
    """
    refused = sorted(e["time"] for e in entries if e.get("status") == 429)
    if not refused:
        return 0, 0
    horizon = refused[0] + 3 * round_trip_s
    first = sum(1 for t in refused if t <= horizon)
    return first, len(refused) - first


def next_boundary(window_s: float, margin_s: float) -> float:
    """The first clock-aligned window start at least ``margin_s`` from now (epoch seconds)."""
    now = time.time()
    boundary = (math.floor(now / window_s) + 1) * window_s
    while boundary - now < margin_s:
        boundary += window_s
    return boundary


def losses(scenario: Scenario, n: int, server: Mapping[str, Any]) -> int:
    expected = ["companies", "users", "sites"] if scenario.kind == "chains" else ["companies"]
    if scenario.kind == "token":
        return 0
    total = 0
    for kind in expected:
        distinct = server["committed"].get(kind, 0) - server["duplicates"].get(kind, 0)
        total += max(0, n - distinct)
    return total


# -- a scenario ------------------------------------------------------------------------------


def run_scenario(
    scenario: Scenario, *, quick: bool, rounds: int, standin: bool, log: Log,
    baseline: str | None = None,
) -> tuple[list[Summary], list[dict[str, Any]]]:
    """All rounds of one scenario; returns the per-label summaries and every raw run record."""
    n = scenario.size(quick)
    deadline = scenario.deadline_quick_s if quick else scenario.deadline_s
    specs = scenario.runs(quick, baseline)
    server = ServerProcess(scenario.server_args(quick), standin=standin)
    records: list[dict[str, Any]] = []
    try:
        server.start()
        if not (scenario.rate or scenario.window_for(quick)):
            server.warm()  # not where a limiter counts requests: it would only eat the budget
        window = scenario.window_for(quick)
        for r in range(rounds):
            order = specs[r % len(specs) :] + specs[: r % len(specs)]
            this_round: dict[str, dict[str, Any]] = {}
            for spec in order:
                server.reset()  # entities, faults, counters
                if spec.faults and scenario.faults:
                    server.admin("POST", "faults", list(scenario.faults))
                send_s = server.probe() if window or scenario.is_family else 0.0
                dealer, package = server.setup()
                before = server.counts()
                cpu_before = server.cpu_seconds()
                start_at = next_boundary(window[0], 0.8) if window else 0.0
                result = run_worker(
                    server, scenario, spec.client, n=n, dealer=dealer, package=package,
                    prefix=f"b{r}{spec.label[:3]}{len(spec.label)}", deadline_s=deadline,
                    start_at=start_at, pythonpath=spec.pythonpath,
                )  # fmt: skip
                cpu_after = server.cpu_seconds()
                delta = _stats.delta(server.counts(), before)
                if scenario.is_family:
                    journal = server.admin("GET", f"journal?since={before['requests']}")
                    first, later = episodes(list(journal or []), send_s)
                    extra = result.setdefault("extra", {})
                    extra.update(server_first_429s=first, server_later_429s=later)
                    # A client that reports when it sent its refused requests (weseedo does,
                    # through its response hook) is split by that: the server's clock cannot
                    # tell a request queued behind a burst from one sent after the lesson.
                    extra["first_429s"] = extra.pop("client_first_429s", first)
                    extra["later_429s"] = extra.pop("client_later_429s", later)
                record: dict[str, Any] = {
                    "scenario": scenario.key, "round": r, "label": spec.label,
                    "client": spec.client,
                    "n": n, "send_s": send_s, "server": delta, "losses": losses(scenario, n, delta),
                    **result,
                }  # fmt: skip
                record.setdefault("status", "error")
                wall = record.get("wall_s")
                if cpu_before is not None and cpu_after is not None and wall:
                    # How busy the server was: near 100% means the server, not the client, paced it.
                    record["server_cpu"] = (cpu_after - cpu_before) / wall
                late = (record.get("extra") or {}).get("late_s", 0.0)
                if late > 0.05:  # the worker missed the window boundary: its floor is off
                    record["note"] = f"started {late:.2f} s after the window boundary"
                failed, lost = int(record.get("failed") or 0), record["losses"]
                if record["status"] == "ok" and (failed or lost):
                    record["status"] = "incomplete"
                    errors = ", ".join(f"{k} x{v}" for k, v in (record.get("errors") or {}).items())
                    record["note"] = f"{failed} failed, {lost} lost" + (
                        f" ({errors})" if errors else ""
                    )
                this_round[spec.label] = record
                records.append(record)
                log(_progress(scenario, r, record))
            _round_floors(scenario, quick, this_round)
    finally:
        server.stop()
    return [summarize(scenario, spec.label, spec.client, n, records) for spec in specs], records


def _round_floors(scenario: Scenario, quick: bool, this_round: dict[str, dict[str, Any]]) -> None:
    label = scenario.measured_floor_label
    for record in this_round.values():
        if label is not None:
            ref = this_round.get(label)
            floor = ref.get("wall_s") if ref and ref.get("status") == "ok" else None
        else:
            floor = scenario.computed_floor(quick, float(record.get("send_s", 0.0)))
        record["floor_s"] = floor
        wall = record.get("wall_s")
        status = record.get("status")
        # A run stopped at its deadline still gives a lower bound: "> wall ÷ floor".
        usable = status in ("ok", "incomplete", "timeout")
        record["ratio"] = wall / floor if usable and wall is not None and floor else None


def _progress(scenario: Scenario, r: int, rec: Mapping[str, Any]) -> str:
    wall = rec.get("wall_s")
    what = f"{wall:6.2f} s" if isinstance(wall, float) else "   —   "
    srv = rec.get("server", {})
    note = f" ({rec.get('note')})" if rec.get("note") else ""
    return (
        f"  [{scenario.key} round {r + 1}] {rec['label']:<22} {what}  {rec['status']:<7} "
        f"req {srv.get('requests', '?')}  429 {srv.get('throttled', '?')}  "
        f"rss {rec.get('peak_rss_mb', 0) or 0:.0f} MB{note}"
    )


def summarize(
    scenario: Scenario, label: str, client: str, n: int, records: list[dict[str, Any]]
) -> Summary:
    mine = [r for r in records if r["label"] == label]
    if not mine:
        return Summary(label, client, "not run", n, 0)
    bad = [r for r in mine if r.get("status") != "ok"]
    status = "ok" if not bad else str(bad[0].get("status"))
    note = next((str(r.get("note")) for r in mine if r.get("note")), "")
    # Runs that measured something: finished (maybe with failures) or stopped at the deadline.
    use = [r for r in mine if r.get("status") in ("ok", "incomplete", "timeout")]
    if not use:
        return Summary(label, client, status, n, len(mine), note=note)

    def med(get: Callable[[dict[str, Any]], float | None]) -> float | None:
        return median_or_none([get(r) for r in use])

    def med_int(get: Callable[[dict[str, Any]], float | None]) -> int | None:
        m = med(get)
        return None if m is None else round(m)

    def server(key: str) -> Callable[[dict[str, Any]], float | None]:
        return lambda r: r.get("server", {}).get(key)

    extra: dict[str, Any] = {}
    for r in mine:
        for k, v in (r.get("extra") or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                extra[k] = max(v, extra.get(k, v))  # the worst round, for exact-count targets
    return Summary(
        label=label,
        client=client,
        status=status,
        n=n,
        runs=len(mine),
        wall_s=med(lambda r: r.get("wall_s")),
        floor_s=med(lambda r: r.get("floor_s")),
        ratio=med(lambda r: r.get("ratio")),
        bound=any(r.get("status") == "timeout" for r in use),
        requests=med_int(server("requests")),
        throttled=med_int(server("throttled")),
        retries=med_int(lambda r: r.get("retries")),
        token_requests=med_int(server("token_requests")),
        duplicates=med_int(lambda r: sum(r.get("server", {}).get("duplicates", {}).values())),
        losses=med_int(lambda r: r.get("losses")),
        peak_rss_mb=med(lambda r: r.get("peak_rss_mb")),
        server_cpu=med(lambda r: r.get("server_cpu")),
        note=note,
        extra=extra,
    )


__all__ = ["RAW", "ServerError", "ServerProcess", "run_scenario", "run_worker", "summarize"]
