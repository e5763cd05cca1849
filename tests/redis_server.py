"""The Redis server the `redis` tests use: CI's, or a private one, or a visible reason why not.

CI (`.ci/run`) starts `redis-server` and sets `WA_OUTBOUND_REDIS_URL`. Elsewhere the first test
that needs Redis starts a private `redis-server` on a free loopback port in a temporary
directory (stopped when the session ends). Without a server the tests skip, saying why; under
CI (`CI` set) they fail instead, so a broken install cannot pass as skipped tests.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any, Final

import pytest

ENV: Final = "WA_OUTBOUND_REDIS_URL"
"""The URL of a running server to use instead of starting one."""

_state: dict[str, object] = {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start() -> str:
    """Start a private server; return its URL, or raise RuntimeError saying why not."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("no redis-server on PATH (apt-get install redis-server)")
    directory = tempfile.mkdtemp(prefix="wa-outbound-redis-")
    port = _free_port()
    log = open(os.path.join(directory, "redis.log"), "wb")  # noqa: SIM115, PTH118, PTH123 - kept open for the server
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", ""],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _state.update(process=process, directory=directory, log=log)
    atexit.register(stop)  # also when no conftest hook runs (the docs alone)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not _answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    return url


def _answers(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=1) as client:
            client.ping()
    except redis.exceptions.ConnectionError:
        return False
    return True


def url() -> str:
    """Return the URL of the server for the tests; skip (fail under CI) when there is none."""
    if "url" not in _state and "reason" not in _state:
        try:
            import redis  # noqa: F401
        except ImportError:
            _state["reason"] = "redis-py is not installed (pip install 'wa_outbound[redis]')"
        else:
            try:
                _state["url"] = os.environ.get(ENV) or _start()
            except RuntimeError as error:
                _state["reason"] = str(error)
    if "url" in _state:
        return str(_state["url"])
    if os.environ.get("CI"):
        pytest.fail(f"Redis is required under CI: {_state['reason']}")
    pytest.skip(f"Redis tests skipped: {_state['reason']}")
    raise AssertionError  # pragma: no cover - skip raises


def available() -> bool:
    """Whether a server is (or can be) running, without skipping."""
    try:
        url()
    except (pytest.skip.Exception, pytest.fail.Exception):
        return False
    return True


def prefix() -> str:
    """A key prefix no other test uses: each test sees an empty Redis of its own."""
    return f"t{uuid.uuid4().hex[:12]}"


def stop() -> None:
    """Stop the private server, if one was started."""
    process = _state.pop("process", None)
    if isinstance(process, subprocess.Popen):
        process.terminate()
        process.wait(10)
    log = _state.pop("log", None)
    if log is not None:
        log.close()  # type: ignore[attr-defined]
    directory = _state.pop("directory", None)
    if isinstance(directory, str):
        shutil.rmtree(directory, ignore_errors=True)


_PRELOAD: Final = [
    "tests.test_redis_workers",
    "tests.test_emulator",
    "wa_outbound.meta",
]
"""What the worker server imports once (a module that fails to import is left out; none of
these skips, which would stop the server)."""


def worker_context() -> Any:
    """Return the processes' context for the multi-worker tests.

    On Linux they fork from a server that imported the test modules once (a few milliseconds a
    worker, not a second); elsewhere they are spawned.
    """
    if sys.platform != "linux":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context
