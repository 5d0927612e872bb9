"""Child-process entry point for the embedded moto server (``EmbeddedAws(mode="process")``).

Running moto in its own process moves its request handling off the runner's GIL. This entry point also
binds the port itself (no race for a "free" port), reports it on stdout, and applies performance fixes
that do not change what any API returns:

- moto resolves the service of every request under one global lock by listing its own package directory
  and trying hundreds of URL patterns; the answer per host never changes, so it is cached;
- SQS ReceiveMessage computes *every* queue attribute (which walks all messages) for each message it
  returns, only to read the retention period — quadratic in queue depth; the period is read directly;
- "now" is computed through naive datetimes for every visibility check; ``time.time()`` is the same
  number, far cheaper;
- werkzeug formats a log line per request that nobody reads.

They are applied only in this child process, never to a moto that tests run in-process.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from bedrock_jobs_local.moto_atomic import make_dynamodb_writes_atomic, make_sqs_deletes_atomic


def apply_performance_patches() -> bool:
    """Apply the speed-ups; if this moto's internals differ, run it unpatched (correct, only slower)."""
    required = (
        ("moto.backends", "list_of_moto_modules"),
        ("moto.moto_server.werkzeug_app", "DomainDispatcherApplication"),
        ("moto.core.utils", "unix_time"),
        ("moto.sqs.models", "SQSBackend"),
    )
    import importlib

    for module_name, attribute in required:
        try:
            if not hasattr(importlib.import_module(module_name), attribute):
                return False
        except ImportError:
            return False
    from moto.sqs.models import SQSBackend

    if not hasattr(SQSBackend, "is_message_valid_based_on_retention_period"):
        return False
    _patch()
    return True


def _patch() -> None:
    from moto import backends
    from moto.core import utils as core_utils
    from moto.moto_server import werkzeug_app
    from moto.sqs import models as sqs_models

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
    resolve = werkzeug_app.DomainDispatcherApplication.get_backend_for_host
    resolved: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host not in resolved:
            resolved[host] = resolve(self, host)
        return resolved[host]

    werkzeug_app.DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]

    original_unix_time = core_utils.unix_time

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else original_unix_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    for module in (core_utils, sqs_models):
        module.unix_time = unix_time  # type: ignore[attr-defined]
        module.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > unix_time()

    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = (
        is_message_valid_based_on_retention_period  # type: ignore[method-assign]
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    host = args[0] if args else "127.0.0.1"
    apply_performance_patches()
    make_dynamodb_writes_atomic()
    make_sqs_deletes_atomic()
    from bedrock_jobs_local.aws_faults import FaultInjectingMotoServer

    server = FaultInjectingMotoServer(ip_address=host, port=0).start()
    _, port = server.get_host_and_port()
    print(port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # The parent closing our stdin (it exited, even abruptly) also ends the server.
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    # Everything lives in memory and is thrown away; a graceful shutdown would only wait for long polls.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
