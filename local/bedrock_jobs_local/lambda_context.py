"""A Lambda-like context object, and an in-process function wrapper that enforces the timeout.

Handlers and Powertools read ``function_name``, ``memory_limit_in_mb``, ``invoked_function_arn``,
``aws_request_id`` and ``get_remaining_time_in_millis()``; the consumer uses the remaining time to stop
starting work it cannot finish. So the context counts down for real from the function's timeout.

``LambdaFunction`` runs a handler on a thread of this process; it suits handlers that are safe to call
concurrently (the poller's tests use it with small test doubles). The real handlers keep per-container
state in module globals, so the pipeline runs them in ``lambda_runtime.ProcessLambdaFunction``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """Duck-typed ``awslambdaric`` context: same attribute names, a real countdown."""

    def __init__(
        self,
        function_name: str,
        timeout_seconds: float,
        memory_limit_in_mb: int = 128,
        region: str = "us-east-1",
        account_id: str = ACCOUNT_ID,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = int(memory_limit_in_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        stamp = datetime.now(UTC).strftime("%Y/%m/%d")
        self.log_stream_name = f"{stamp}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self.timeout_seconds = timeout_seconds
        self._clock = clock
        self._deadline = clock() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock()) * 1000))


class InvocationTimeout(Exception):
    """The handler ran past the function timeout; Lambda would have killed the sandbox."""


@dataclass
class InvocationResult:
    response: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    duration_seconds: float = 0.0
    request_id: str = ""

    @property
    def failed(self) -> bool:
        return self.error is not None or self.timed_out


@dataclass
class LambdaFunction:
    """A handler plus the settings Lambda would apply to every invocation of it, run on threads."""

    name: str
    handler: Handler
    timeout_seconds: float
    memory_mb: int = 128
    region: str = "us-east-1"
    account_id: str = ACCOUNT_ID
    #: Threads of invocations that overran their timeout; Python cannot kill them, so they finish in
    #: the background and their late side effects are not rolled back (a killed Lambda's earlier
    #: side effects are not rolled back either).
    overrunning: list[threading.Thread] = field(default_factory=list)

    def new_context(self) -> LambdaContext:
        return LambdaContext(self.name, self.timeout_seconds, self.memory_mb, self.region, self.account_id)

    def invoke(self, event: dict[str, Any]) -> InvocationResult:
        """Run the handler in its own thread and stop waiting at the timeout, as Lambda stops the sandbox."""
        context = self.new_context()
        outcome = InvocationResult(request_id=context.aws_request_id)
        done = threading.Event()

        def run() -> None:
            try:
                outcome.response = self.handler(event, context)
            except BaseException as exc:  # a crashing handler is a failed invocation, whatever it raised
                outcome.error = exc
            finally:
                done.set()

        started = time.monotonic()
        thread = threading.Thread(target=run, name=f"{self.name}-{context.aws_request_id[:8]}", daemon=True)
        thread.start()
        if not done.wait(self.timeout_seconds):
            self.overrunning.append(thread)
            return InvocationResult(
                error=InvocationTimeout(f"Task timed out after {self.timeout_seconds:.2f} seconds"),
                timed_out=True,
                duration_seconds=time.monotonic() - started,
                request_id=context.aws_request_id,
            )
        outcome.duration_seconds = time.monotonic() - started
        return outcome
