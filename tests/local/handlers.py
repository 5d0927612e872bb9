"""Handlers for the execution-environment tests; they run in worker processes, so they live in a module."""

from __future__ import annotations

import os
import time
from typing import Any

_invocations = 0


def describe(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleeps ``event["sleep"]`` seconds, then tells where and how it ran."""
    global _invocations
    _invocations += 1
    time.sleep(event.get("sleep", 0))
    return {
        "pid": os.getpid(),
        "invocation_in_environment": _invocations,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "request_id": context.aws_request_id,
        "variable": os.environ.get("TEST_VARIABLE"),
    }


def crash(event: dict[str, Any], context: Any) -> None:
    raise ValueError("boom")
