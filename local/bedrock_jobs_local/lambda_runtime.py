"""Lambda execution environments as worker processes.

Lambda runs each invocation alone in an execution environment; concurrent invocations get separate
environments, and module-level state (configuration caches, clients, Powertools' logger, metrics and
API resolver) belongs to one environment. Running the real handlers on threads of one process would
share that state between concurrent invocations — Powertools' ``APIGatewayHttpResolver`` keeps the
current request in a module global, for one — so here every environment is a process:

- an environment is created when an invocation finds none idle (a cold start) and then reused;
- it receives the function's environment variables, and its stdout/stderr go to the run's log file,
  the way Lambda sends them to CloudWatch Logs;
- each invocation gets a ``LambdaContext`` counting down from the function timeout;
- an invocation that overruns is killed with its environment, as Lambda does, and reported as timed out.

Environments are forked from a ``forkserver`` that has already imported the Lambda package and parsed
botocore's service models (``lambda_warmup``), so a cold start costs milliseconds plus whatever the
handler does on its first call — far less than in Lambda, which this runner does not try to imitate.
Scripts that start environments need the usual ``if __name__ == "__main__":`` guard (multiprocessing).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from .lambda_context import ACCOUNT_ID, InvocationResult, InvocationTimeout, LambdaContext

#: Imported once by the fork server so every environment starts with them loaded.
PRELOAD = (
    "bedrock_jobs_local.lambda_warmup",
    "bedrock_jobs_local.lambda_runtime",
    "bedrock_jobs.producer",
    "bedrock_jobs.consumer",
    "bedrock_jobs.dlq_archiver",
)
#: Time allowed beyond the function timeout for the answer to cross the pipe before the kill.
KILL_GRACE_SECONDS = 0.25


class HandlerError(Exception):
    """The handler raised; ``str()`` is the exception, ``details`` its traceback in the environment."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        # Ignored when the fork server already runs (it then imports on first use instead).
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def start_environment_server() -> None:
    """Start the fork server now, so its imports overlap other start-up work instead of the first call."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        _context()
        from multiprocessing import forkserver

        forkserver.ensure_running()


def resolve_handler(path: str) -> Any:
    """``"package.module.function"`` or ``"package.module:function"``, as Lambda's handler setting."""
    module_name, _, function_name = path.replace(":", ".").rpartition(".")
    return getattr(importlib.import_module(module_name), function_name)


def _serve(
    connection: Connection,
    handler_path: str,
    environment: Mapping[str, str],
    log_path: str,
    settings: dict[str, Any],
) -> None:
    """Body of an execution environment: apply the configuration, then run invocations one at a time."""
    os.environ.clear()
    os.environ.update(environment)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    previous = (sys.stdout, sys.stderr)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    _repoint_log_handlers(previous)
    _align_log_level()
    for setup in settings.get("setup") or ():
        # Harness-only changes to this environment (e.g. the chaos run's sabotage switch), applied
        # before the first invocation; nothing in the Lambda package knows about them.
        resolve_handler(setup)()
    handler = resolve_handler(handler_path)
    while True:
        try:
            event = connection.recv()
        except EOFError:
            return
        if event is None:
            return
        context = LambdaContext(
            settings["function_name"],
            settings["timeout_seconds"],
            settings["memory_mb"],
            settings["region"],
            settings["account_id"],
        )
        try:
            response = handler(event, context)
            connection.send(("ok", response, context.aws_request_id))
        except BaseException as exc:  # whatever the handler raised is an invocation error, not ours
            connection.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


def _repoint_log_handlers(previous: tuple[Any, Any]) -> None:
    # Loggers created when the fork server imported the package (Powertools') hold the fork server's
    # block-buffered streams: what they buffered would be lost when an environment is killed, and
    # blocks from several environments could split lines. They write line by line to the new ones.
    loggers = [logging.getLogger(), *logging.root.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if isinstance(handler, logging.StreamHandler) and handler.stream in previous:
                handler.setStream(sys.stdout if handler.stream is previous[0] else sys.stderr)


def _align_log_level() -> None:
    # The fork server imported the package before this environment's variables were set, so
    # Powertools' logger still has the fork server's level; Lambda imports with the variables in place.
    if "bedrock_jobs.observability" in sys.modules:
        logger = sys.modules["bedrock_jobs.observability"].logger
        logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL") or "INFO")


@dataclass
class _Environment:
    process: Any
    connection: Connection
    invocations: int = 0


@dataclass
class Invocation:
    """One invocation in flight, as ``on_invoke`` hooks and ``kill`` see it."""

    id: int
    function: str
    event: dict[str, Any]
    started: float  # time.monotonic()
    killed_at: float | None = None
    environment: _Environment | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Crash:
    """An environment killed under an invocation (by ``kill``, or at the function timeout): what it held
    and when."""

    invocation_id: int
    function: str
    event: dict[str, Any]
    started: float
    killed_at: float
    reason: str


@dataclass
class ProcessLambdaFunction:
    """A function whose invocations run in process-isolated execution environments.

    Same interface as ``LambdaFunction`` (``name``, ``timeout_seconds``, ``invoke``), so an
    ``SqsEventSourceMapping`` drives either.
    """

    name: str
    handler_path: str
    timeout_seconds: float
    memory_mb: int = 128
    region: str = "us-east-1"
    environment: Mapping[str, str] = field(default_factory=dict)
    log_path: str = os.devnull
    account_id: str = ACCOUNT_ID
    cold_starts: int = 0
    killed: int = 0
    #: "module:function" callables run in each new environment before its first invocation.
    setup: tuple[str, ...] = ()
    #: Called with each ``Invocation`` as it starts (the chaos run decides there whether to kill it).
    on_invoke: Any = None

    def __post_init__(self) -> None:
        self._idle: list[_Environment] = []
        self._all: list[_Environment] = []
        self._lock = threading.Lock()
        self._closed = False
        self._busy: dict[int, Invocation] = {}
        self._next_invocation = 1
        self.crashes: list[Crash] = []

    # -- environments ----------------------------------------------------------------------------
    def _start_environment(self) -> _Environment:
        context = _context()
        parent, child = context.Pipe()
        settings = {
            "function_name": self.name,
            "timeout_seconds": self.timeout_seconds,
            "memory_mb": self.memory_mb,
            "region": self.region,
            "account_id": self.account_id,
            "setup": tuple(self.setup),
        }
        process = context.Process(
            target=_serve,
            args=(child, self.handler_path, dict(self.environment), self.log_path, settings),
            name=f"lambda-{self.name}",
            daemon=True,
        )
        process.start()
        child.close()
        environment = _Environment(process, parent)
        with self._lock:
            self.cold_starts += 1
            self._all.append(environment)
        return environment

    def _acquire(self) -> _Environment:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"function {self.name} is shut down")
            while self._idle:
                environment = self._idle.pop()
                if environment.process.is_alive():
                    return environment
        return self._start_environment()

    def _release(self, environment: _Environment) -> None:
        with self._lock:
            if self._closed:
                self._stop_environment(environment)
            else:
                self._idle.append(environment)

    def _discard(self, environment: _Environment) -> None:
        with self._lock:
            if environment in self._all:
                self._all.remove(environment)
        self._kill(environment)

    @staticmethod
    def _kill(environment: _Environment) -> None:
        if environment.process.is_alive():
            environment.process.kill()
        environment.process.join(5)
        environment.connection.close()

    @staticmethod
    def _stop_environment(environment: _Environment) -> None:
        with contextlib.suppress(OSError, ValueError):  # it may already be gone
            environment.connection.send(None)
        environment.process.join(5)
        if environment.process.is_alive():
            environment.process.kill()
            environment.process.join(5)
        environment.connection.close()

    @property
    def environments(self) -> int:
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        """Shut every environment down (idle ones at once; busy ones when their invocation returns)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            for environment in idle:
                self._all.remove(environment)
        for environment in idle:
            self._stop_environment(environment)

    # -- crashing on purpose ----------------------------------------------------------------------
    def in_flight(self) -> list[Invocation]:
        with self._lock:
            return list(self._busy.values())

    def kill(self, invocation_id: int, reason: str = "killed") -> bool:
        """Kill the environment running invocation ``invocation_id`` (SIGKILL, as a crash would).

        ``False`` if that invocation already returned: an answer that was handed back is never undone.
        The invocation then fails as "Runtime exited", and a ``Crash`` records what it held.
        """
        with self._lock:
            invocation = self._busy.get(invocation_id)
            if invocation is None or invocation.killed_at is not None or invocation.environment is None:
                return False
            invocation.killed_at = time.monotonic()
            self.crashes.append(
                Crash(
                    invocation.id,
                    self.name,
                    invocation.event,
                    invocation.started,
                    invocation.killed_at,
                    reason,
                )
            )
            with contextlib.suppress(OSError, ValueError):
                invocation.environment.process.kill()
        return True

    def _begin(self, environment: _Environment, event: dict[str, Any]) -> Invocation:
        with self._lock:
            invocation = Invocation(
                self._next_invocation, self.name, event, time.monotonic(), environment=environment
            )
            self._next_invocation += 1
            self._busy[invocation.id] = invocation
        if self.on_invoke is not None:
            self.on_invoke(invocation)
        return invocation

    def _end(self, invocation: Invocation) -> bool:
        """Forget a finished invocation; ``True`` if ``kill`` got to it first."""
        with self._lock:
            self._busy.pop(invocation.id, None)
            return invocation.killed_at is not None

    # -- invoking --------------------------------------------------------------------------------
    def invoke(self, event: dict[str, Any]) -> InvocationResult:
        environment = self._acquire()
        started = time.monotonic()
        invocation = self._begin(environment, event)
        try:
            environment.connection.send(event)
            if not environment.connection.poll(self.timeout_seconds + KILL_GRACE_SECONDS):
                # Lambda stops the sandbox at the timeout; so do we.
                crashed = self._end(invocation)
                with self._lock:
                    self.killed += int(not crashed)
                    if not crashed:  # what it held is lost with it, exactly as with a crash
                        now = time.monotonic()
                        self.crashes.append(
                            Crash(invocation.id, self.name, event, invocation.started, now, "at its timeout")
                        )
                self._discard(environment)
                if crashed:
                    return self._crashed(started)
                return InvocationResult(
                    error=InvocationTimeout(f"Task timed out after {self.timeout_seconds:.2f} seconds"),
                    timed_out=True,
                    duration_seconds=time.monotonic() - started,
                )
            kind, payload, extra = environment.connection.recv()
        except (EOFError, OSError) as exc:
            # The environment died under the invocation (out of memory, a crash in native code).
            self._end(invocation)
            self._discard(environment)
            return InvocationResult(
                error=HandlerError(f"Runtime exited: {type(exc).__name__}"),
                duration_seconds=time.monotonic() - started,
            )
        if self._end(invocation):
            # Killed after it wrote its answer but before we read it: a crash all the same, so what
            # the harness counts as crashed is exactly what failed.
            self._discard(environment)
            return self._crashed(started)
        environment.invocations += 1
        self._release(environment)
        duration = time.monotonic() - started
        if kind == "ok":
            return InvocationResult(response=payload, duration_seconds=duration, request_id=extra)
        return InvocationResult(error=HandlerError(payload, extra), duration_seconds=duration)

    @staticmethod
    def _crashed(started: float) -> InvocationResult:
        return InvocationResult(
            error=HandlerError("Runtime exited: killed"), duration_seconds=time.monotonic() - started
        )
