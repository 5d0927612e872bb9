"""The module's batch path on this machine (``batch_enabled = true``): the fake Bedrock control plane,
the batch submitter and collector functions, and what invokes them in AWS.

In AWS three things drive the two functions (batch.tf): an EventBridge Scheduler schedule runs the
submitter (nightly by default), an EventBridge rule sends every "Batch Inference Job State Change" event
to the collector, and a second schedule polls with the collector (every 30 minutes by default) because
events are best effort. Here one scheduler thread plays both schedules on a compressed clock, and a
delivery thread plays the rule: it invokes the collector asynchronously, one event at a time, retrying a
failed invocation twice as Lambda does for asynchronous invocations (Lambda Developer Guide, "Configuring
error handling for asynchronous invocation"); what it still misses, the poll collects.

The fake answers each record with the local model's answer, except documents that model can never answer
(the run's poison and invalid markers): those become error records, as a malformed request does in
Bedrock, so they go back to the realtime path and end failed there, like any job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .fake_bedrock_batch import (
    FINAL_STATUSES,
    BatchJobFaults,
    FakeBedrockBatch,
    default_answer,
    document_text,
)

log = logging.getLogger(__name__)

#: Lambda retries a failed asynchronous invocation twice by default.
ASYNC_RETRIES = 2
SCHEDULED_EVENT = {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}}


@dataclass(frozen=True)
class BatchPathConfig:
    """The module's batch variables as the local run uses them, and how often the schedules fire."""

    min_records: int
    max_records: int
    max_wait_hours: float
    timeout_hours: int
    max_jobs_in_flight: int
    #: How often the submit schedule fires (the module's is nightly; the local clock is compressed).
    submit_every_seconds: float = 2.0
    #: How often the collector polls (the module's is every 30 minutes).
    poll_every_seconds: float = 10.0
    faults: BatchJobFaults = field(default_factory=BatchJobFaults)
    #: Documents the local model cannot answer: their records come back with an error.
    unanswerable_markers: tuple[str, ...] = ()

    def environment(self) -> dict[str, str]:
        """What batch.tf sets on the functions, besides the queue URL and the role ARN."""
        return {
            "BATCH_MIN_RECORDS": str(self.min_records),
            "BATCH_MAX_RECORDS": str(self.max_records),
            "BATCH_MAX_WAIT_HOURS": f"{self.max_wait_hours:g}",
            "BATCH_TIMEOUT_HOURS": str(self.timeout_hours),
            "BATCH_MAX_JOBS_IN_FLIGHT": str(self.max_jobs_in_flight),
        }


def answer_unless_marked(markers: Iterable[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The local model's batch answer; a record whose prompt carries a marker fails (an error record)."""
    markers = tuple(m for m in markers if m)

    def answer(model_input: dict[str, Any]) -> dict[str, Any]:
        prompt = document_text(model_input)
        for marker in markers:
            if marker in prompt:
                raise ValueError("the model cannot answer this document")
        return default_answer(model_input)

    return answer


class BatchPath:
    """Starts the fake control plane; once the functions exist, ``drive`` starts the schedules and the
    state-change rule."""

    def __init__(
        self, config: BatchPathConfig, *, s3_client: Any, region: str, account_id: str, seed: int = 7
    ) -> None:
        self.config = config
        self.fake = FakeBedrockBatch(
            s3_client=s3_client,
            region=region,
            account_id=account_id,
            answer=answer_unless_marked(config.unanswerable_markers),
            on_state_change=self._on_state_change,
            faults=config.faults,
            seed=seed,
            # The local stand-in model has no batch quota of its own beyond Bedrock's record limits.
            min_records_per_job=1,
            max_records_per_job=50_000,
            auto=True,
        )
        self.submitter: Any = None
        self.collector: Any = None
        self.submitter_runs: list[dict[str, Any]] = []
        self.collector_runs: list[dict[str, Any]] = []
        self.invocation_errors: list[str] = []
        self.events_missed = 0
        self._events: deque[dict[str, Any]] = deque()
        self._wake = threading.Condition()
        self._busy = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> BatchPath:
        self.fake.start()
        return self

    @property
    def endpoint_url(self) -> str:
        return self.fake.endpoint_url

    def drive(self, submitter: Any, collector: Any) -> None:
        self.submitter, self.collector = submitter, collector
        self._stop.clear()
        for name, target in (("batch-schedules", self._schedules), ("batch-events", self._deliver)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop_driving(self) -> None:
        """Stop the schedules and the rule; an invocation already running finishes first."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=960)
        self._threads.clear()

    def stop(self) -> None:
        self.stop_driving()
        self.fake.stop()

    # -- state -----------------------------------------------------------------------------------
    def idle(self) -> bool:
        """No batch job unfinished, no event undelivered and no function running."""
        with self._wake:
            if self._events or self._busy:
                return False
        return all(self.fake.status(job_id) in FINAL_STATUSES for job_id in self.fake.job_ids())

    # -- what AWS does ---------------------------------------------------------------------------
    def _on_state_change(self, event: dict[str, Any]) -> None:
        with self._wake:
            self._events.append(event)
            self._wake.notify_all()

    def _invoke(self, function: Any, event: dict[str, Any], runs: list[dict[str, Any]]) -> bool:
        with self._wake:
            self._busy += 1
        try:
            result = function.invoke(event)
            if result.failed:
                self.invocation_errors.append(f"{function.name}: {result.error}")
                log.warning("%s failed: %s", function.name, result.error)
                return False
            runs.append(result.response or {})
            return True
        finally:
            with self._wake:
                self._busy -= 1

    def _schedules(self) -> None:
        next_submit = time.monotonic() + self.config.submit_every_seconds
        next_poll = time.monotonic() + self.config.poll_every_seconds
        while not self._stop.wait(max(0.0, min(next_submit, next_poll) - time.monotonic())):
            # One submitter at a time, as its reserved concurrency of 1 ensures in AWS.
            if time.monotonic() >= next_submit:
                self._invoke(self.submitter, dict(SCHEDULED_EVENT), self.submitter_runs)
                next_submit = time.monotonic() + self.config.submit_every_seconds
            if time.monotonic() >= next_poll:
                self._invoke(self.collector, dict(SCHEDULED_EVENT), self.collector_runs)
                next_poll = time.monotonic() + self.config.poll_every_seconds

    def _deliver(self) -> None:
        while True:
            with self._wake:
                while not self._events and not self._stop.is_set():
                    self._wake.wait()
                if self._stop.is_set() and not self._events:
                    return
                event = self._events.popleft()
                self._busy += 1
            try:
                for _ in range(1 + ASYNC_RETRIES):
                    if self._invoke(self.collector, event, self.collector_runs):
                        break
                else:
                    self.events_missed += 1
            finally:
                with self._wake:
                    self._busy -= 1
