"""Helpers shared by the local runner's tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class QueuePair:
    url: str
    arn: str
    dlq_url: str | None = None
    dlq_arn: str | None = None


@dataclass
class Recorder:
    """A handler that records every event and can be told how to answer."""

    respond: Callable[[dict[str, Any], Any], Any] = lambda event, context: None
    events: list[dict[str, Any]] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self.lock:
            self.events.append(event)
            self.contexts.append(context)
        return self.respond(event, context)

    @property
    def records(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for e in self.events for r in e["Records"]]

    def deliveries(self, body: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["body"] == body]


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, interval: float = 0.05) -> None:
    """Poll ``condition``; the timeout only bounds a broken test, no assertion depends on it."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
