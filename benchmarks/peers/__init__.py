"""The clients under test: weseedo-async and the code a competent user would write instead.

Each module exposes ``async def run(job, counters)`` or, for thread-based code, ``def run_sync(job,
counters)``. A module whose library is missing fails at import; the worker reports it as skipped.
"""

#: client name → module in this package
PEERS: dict[str, str] = {
    "weseedo": "weseedo",
    "raw_aiohttp": "raw_aiohttp",
    "naive_gather": "naive_gather",
    "aiohttp_retry": "aiohttp_retry_peer",
    "httpx_tenacity": "httpx_tenacity",
    "requests_threads": "requests_threads",
}
