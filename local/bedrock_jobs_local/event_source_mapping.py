"""A local poller that reproduces Lambda's SQS event source mapping (ESM).

What it copies from the documented behaviour (docs.aws.amazon.com/lambda/latest/dg/with-sqs.html,
services-sqs-parameters.html, services-sqs-errorhandling.html, services-sqs-scaling.html):

- ReceiveMessage asks for at most 10 messages per call; a batch is gathered until ``batch_size`` is
  reached, the batching window expires, or the payload nears Lambda's 6 MB invocation limit. Without a
  window the function gets whatever one receive returned. Lambda never invokes with an empty batch.
- The window starts when the poller starts gathering (for SQS "the next batching window begins as soon
  as the previous function invocation completes"); a window that expires empty starts over.
- Messages are received with the queue's own visibility timeout; the ESM never changes visibility.
- ``maximum_concurrency`` bounds concurrent invocations; a poller takes a concurrency slot *before*
  receiving, so messages are not pulled off the queue (and their receive count spent) while no
  invocation can take them.
- With ``ReportBatchItemFailures``: an empty or missing ``batchItemFailures`` is complete success; an
  entry whose ``itemIdentifier`` is empty, missing, or not a message of the batch makes the whole batch a
  failure; otherwise only the listed messages stay on the queue. Without it any successful return
  deletes the batch. An exception, a timeout, or an unparseable response deletes nothing.
- Failed messages reappear when their visibility timeout ends (or earlier/later if the function changed
  it) and SQS itself moves them to the DLQ once ``maxReceiveCount`` is exceeded.
- Records look exactly like Lambda's: messageId, receiptHandle, body, attributes (string values),
  messageAttributes (``stringValue``/``binaryValue``, ``stringListValues``, ``binaryListValues``,
  ``dataType``), md5OfBody, eventSource ``aws:sqs``, eventSourceARN, awsRegion.

Lambda's poller fleet scales on its own; here ``pollers`` threads (Lambda starts with five) gather
batches and each invocation runs on its own thread.
"""

from __future__ import annotations

import base64
import logging
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .lambda_context import InvocationResult, LambdaFunction

log = logging.getLogger(__name__)

#: System attributes Lambda copies into ``record["attributes"]``, in the order its examples show.
LAMBDA_RECORD_ATTRIBUTES: tuple[str, ...] = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)

#: Lambda's synchronous invocation payload limit.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_RECEIVE = 10  # SQS ReceiveMessage hard limit
MAX_LONG_POLL = 20  # SQS WaitTimeSeconds hard limit


class MappingConfigError(ValueError):
    """A setting Lambda's CreateEventSourceMapping would reject."""


@dataclass(frozen=True)
class MappingConfig:
    batch_size: int = 10
    maximum_batching_window_seconds: float = 0.0
    maximum_concurrency: int | None = None
    report_batch_item_failures: bool = True
    fifo: bool = False
    pollers: int = 5
    #: How long an idle poller long-polls before checking whether it should stop. Lambda uses 20 s;
    #: a shorter wait changes nothing a function can observe and keeps ``stop()`` prompt (0 = short
    #: polls 50 ms apart).
    idle_wait_seconds: int = 1
    #: Without maximum concurrency an ESM is bounded by the function's concurrency; a local stand-in.
    unreserved_concurrency: int = 100
    #: Chaos only: the share of records also handed, as a copy, to a second concurrent invocation —
    #: SQS's at-least-once delivery giving two pollers the same message. Drawn from ``duplicate_seed``.
    duplicate_rate: float = 0.0
    duplicate_seed: int = 0

    def validate(self) -> None:
        limit = 10 if self.fifo else 10_000
        if not 1 <= self.batch_size <= limit:
            raise MappingConfigError(f"batch_size must be 1..{limit}, got {self.batch_size}")
        if self.fifo and self.maximum_batching_window_seconds:
            raise MappingConfigError("a batching window is not supported for FIFO queues")
        if not 0 <= self.maximum_batching_window_seconds <= 300:
            raise MappingConfigError("maximum_batching_window_seconds must be 0..300")
        if self.batch_size > 10 and self.maximum_batching_window_seconds <= 0:
            # AWS requires >= 1 s here; local runs may scale time down, so any positive window passes.
            raise MappingConfigError("batch_size > 10 needs a batching window")
        if self.maximum_concurrency is not None and not 2 <= self.maximum_concurrency <= 1000:
            raise MappingConfigError("maximum_concurrency must be 2..1000")
        if self.pollers < 1:
            raise MappingConfigError("pollers must be >= 1")
        if not 0 <= self.duplicate_rate <= 1:
            raise MappingConfigError("duplicate_rate must be 0..1")

    @property
    def concurrency_limit(self) -> int:
        return self.maximum_concurrency or self.unreserved_concurrency


@dataclass
class BatchOutcome:
    """What one invocation did to its batch; handed to ``on_batch`` observers."""

    function_name: str
    message_ids: list[str]
    failed_ids: set[str]
    deleted_ids: list[str]
    result: InvocationResult
    whole_batch_failed: bool
    reason: str = ""
    #: The Lambda records of the batch, as the function received them.
    records: list[dict[str, Any]] = field(default_factory=list)
    #: This invocation got copies of records another invocation was handed too (``duplicate_rate``).
    duplicate: bool = False


@dataclass
class MappingStats:
    invocations: int = 0
    records_delivered: int = 0
    records_deleted: int = 0
    records_reported_failed: int = 0
    whole_batch_failures: int = 0
    timeouts: int = 0
    errors: int = 0
    delete_errors: int = 0
    duplicates_delivered: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    batch_sizes: Counter[int] = field(default_factory=Counter)
    deliveries: Counter[str] = field(default_factory=Counter)

    @property
    def redeliveries(self) -> int:
        return sum(n - 1 for n in self.deliveries.values())

    def snapshot(self) -> dict[str, Any]:
        return {
            "invocations": self.invocations,
            "records_delivered": self.records_delivered,
            "distinct_messages": len(self.deliveries),
            "redeliveries": self.redeliveries,
            "records_deleted": self.records_deleted,
            "records_reported_failed": self.records_reported_failed,
            "whole_batch_failures": self.whole_batch_failures,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "delete_errors": self.delete_errors,
            "duplicates_delivered": self.duplicates_delivered,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "batch_sizes": dict(sorted(self.batch_sizes.items())),
        }


def _b64(value: bytes | str) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()


def to_lambda_record(
    message: dict[str, Any], queue_arn: str, region: str, dead_letter_source_arn: str | None = None
) -> dict[str, Any]:
    """One SQS ReceiveMessage entry (boto3 shape) as Lambda puts it in ``event["Records"]``."""
    raw_attributes = message.get("Attributes") or {}
    attributes = {
        name: str(raw_attributes[name]) for name in LAMBDA_RECORD_ATTRIBUTES if name in raw_attributes
    }
    if dead_letter_source_arn and "DeadLetterQueueSourceArn" not in attributes:
        # SQS stamps messages it moves to a DLQ with their source queue; moto does not, so the mapping
        # on a DLQ adds what SQS would have returned.
        attributes["DeadLetterQueueSourceArn"] = dead_letter_source_arn
    message_attributes: dict[str, dict[str, Any]] = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        entry: dict[str, Any] = {}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = _b64(value["BinaryValue"])
        entry["stringListValues"] = list(value.get("StringListValues") or [])
        entry["binaryListValues"] = [_b64(v) for v in value.get("BinaryListValues") or []]
        entry["dataType"] = value["DataType"]
        message_attributes[name] = entry
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record["md5OfBody"] = message["MD5OfBody"]
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = region
    return record


def receive_event(
    sqs: Any, queue_url: str, queue_arn: str, region: str, max_messages: int = 10, wait_seconds: int = 0
) -> dict[str, Any]:
    """Receive up to ``max_messages`` now (calls of ≤ 10) as one Lambda SQS event, for tests and benchmarks.

    Unlike the mapping it does not wait for a batching window: it returns what the queue has.
    """
    records: list[dict[str, Any]] = []
    while len(records) < max_messages:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, max_messages - len(records)),
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=wait_seconds,
        )
        messages = response.get("Messages") or []
        if not messages:
            break
        records.extend(to_lambda_record(m, queue_arn, region) for m in messages)
    return {"Records": records}


class WholeBatchFailure(Exception):
    """The response cannot be read as a partial batch response, so Lambda retries everything."""


def failed_message_ids(response: Any, message_ids: Iterable[str]) -> set[str]:
    """The messages a ``ReportBatchItemFailures`` response keeps on the queue.

    Raises WholeBatchFailure for the responses Lambda documents as a complete failure.
    """
    ids = set(message_ids)
    if response is None:
        return set()
    if not isinstance(response, dict):
        # The runtime serialises the return value; anything but an object cannot be a batch response.
        raise WholeBatchFailure(f"response is a {type(response).__name__}, not a batch response object")
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        raise WholeBatchFailure("batchItemFailures is not a list")
    failed: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier:
            raise WholeBatchFailure(f"batchItemFailures entry without an itemIdentifier: {item!r}")
        if identifier not in ids:
            raise WholeBatchFailure(f"itemIdentifier {identifier!r} is not a message of this batch")
        failed.add(identifier)
    return failed


class SqsEventSourceMapping:
    """Polls one queue and invokes one function, like ``aws_lambda_event_source_mapping``."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        function: LambdaFunction,
        config: MappingConfig,
        region: str = "us-east-1",
        dead_letter_source_arn: str | None = None,
        on_batch: Callable[[BatchOutcome], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        config.validate()
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.function = function
        self.config = config
        self.region = region
        self.dead_letter_source_arn = dead_letter_source_arn
        self.on_batch = on_batch
        self._clock = clock
        self.stats = MappingStats()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(config.concurrency_limit)
        self._executor: ThreadPoolExecutor | None = None
        self._pollers: list[threading.Thread] = []
        self._duplicate_rng = random.Random(config.duplicate_seed)
        self._duplicates: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SqsEventSourceMapping:
        self._stopping.clear()
        self._executor = ThreadPoolExecutor(
            max_workers=self.config.concurrency_limit, thread_name_prefix=f"esm-{self.function.name}"
        )
        for index in range(self.config.pollers):
            thread = threading.Thread(
                target=self._poll_loop, name=f"poller-{self.function.name}-{index}", daemon=True
            )
            thread.start()
            self._pollers.append(thread)
        return self

    def stop(self) -> None:
        """Stop polling and wait for in-flight invocations; nothing received is left unprocessed."""
        self._stopping.set()
        for thread in self._pollers:
            thread.join()
        self._pollers.clear()
        if self._executor:
            self._executor.shutdown(wait=True)
            self._executor = None
        for thread in list(self._duplicates):
            thread.join()

    def __enter__(self) -> SqsEventSourceMapping:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return self.stats.snapshot()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self.stats.in_flight + sum(t.is_alive() for t in self._duplicates)

    # -- polling ---------------------------------------------------------------------------------
    def _poll_loop(self) -> None:
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.2):
                continue
            handed_off = False
            try:
                messages = self._gather()
                if messages and self._executor:
                    self._executor.submit(self._invoke_and_settle, messages)
                    handed_off = True
            except Exception:
                # Lambda keeps polling through transient SQS errors; so does this poller.
                log.exception("poller for %s failed to receive", self.function.name)
                self._stopping.wait(0.5)
            finally:
                if not handed_off:
                    self._slots.release()

    def _receive(self, max_messages: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages") or [])

    def _gather(self) -> list[dict[str, Any]]:
        config = self.config
        window = config.maximum_batching_window_seconds
        messages: list[dict[str, Any]] = []
        size = 0
        window_end = self._clock() + window
        while len(messages) < config.batch_size and size < MAX_PAYLOAD_BYTES - 256 * 1024:
            if self._stopping.is_set() and not messages:
                break
            want = min(MAX_RECEIVE, config.batch_size - len(messages))
            now = self._clock()
            if window <= 0:
                if messages:
                    break  # no window: invoke with what one receive returned
                wait = 0 if self._stopping.is_set() else config.idle_wait_seconds
            elif messages:
                remaining = window_end - now
                if remaining <= 0 or self._stopping.is_set():
                    break
                # WaitTimeSeconds is whole seconds; below one second, short-poll until the window ends.
                wait = min(MAX_LONG_POLL, int(remaining))
            else:
                # Nothing gathered yet, so overshooting the window changes nothing: wait for the first
                # message, then place it in the window it arrived in.
                wait = config.idle_wait_seconds
            received = self._receive(want, wait)
            if received and window > 0 and not messages:
                now = self._clock()
                if now > window_end:
                    window_end += math.ceil((now - window_end) / window) * window
            if not received and wait == 0:
                # A short poll came back empty; pause briefly instead of spinning on ReceiveMessage.
                pause = min(0.05, max(0.0, window_end - self._clock())) if messages else 0.05
                self._stopping.wait(pause)
            messages.extend(received)
            size += sum(len(m.get("Body", "")) + 1024 for m in received)
        return messages

    # -- invoking --------------------------------------------------------------------------------
    def _invoke_and_settle(self, messages: list[dict[str, Any]]) -> None:
        try:
            with self._lock:
                self.stats.in_flight += 1
                self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
            self._process(messages)
        except Exception:
            log.exception("settling a batch for %s failed", self.function.name)
        finally:
            with self._lock:
                self.stats.in_flight -= 1
            self._slots.release()

    def _process(self, messages: list[dict[str, Any]]) -> None:
        records = [
            to_lambda_record(m, self.queue_arn, self.region, self.dead_letter_source_arn) for m in messages
        ]
        with self._lock:
            self.stats.invocations += 1
            self.stats.records_delivered += len(records)
            self.stats.batch_sizes[len(records)] += 1
            self.stats.deliveries.update(r["messageId"] for r in records)
            copies = [dict(r) for r in records if self._duplicate_rng.random() < self.config.duplicate_rate]
            self.stats.duplicates_delivered += len(copies)
        if copies:
            # Started first, so both invocations hold the message at the same time.
            thread = threading.Thread(
                target=self._settle_duplicate, args=(copies,), name=f"esm-duplicate-{self.function.name}"
            )
            with self._lock:
                self._duplicates = [t for t in self._duplicates if t.is_alive()] + [thread]
            thread.start()
        self._settle(records)

    def _settle_duplicate(self, records: list[dict[str, Any]]) -> None:
        try:
            with self._lock:
                self.stats.invocations += 1
            self._settle(records, duplicate=True)
        except Exception:
            log.exception("settling a duplicate batch for %s failed", self.function.name)

    def _settle(self, records: list[dict[str, Any]], duplicate: bool = False) -> None:
        message_ids = [r["messageId"] for r in records]
        result = self.function.invoke({"Records": records})

        reason = ""
        whole = False
        if result.timed_out:
            whole, reason = True, str(result.error)
        elif result.error is not None:
            whole, reason = True, f"{type(result.error).__name__}: {result.error}"
        if whole:
            failed = set(message_ids)
        elif self.config.report_batch_item_failures:
            try:
                failed = failed_message_ids(result.response, message_ids)
            except WholeBatchFailure as exc:
                whole, reason, failed = True, str(exc), set(message_ids)
        else:
            failed = set()

        to_delete = [r for r in records if r["messageId"] not in failed]
        deleted = self._delete(to_delete)
        with self._lock:
            self.stats.records_deleted += len(deleted)
            self.stats.records_reported_failed += 0 if whole else len(failed)
            self.stats.whole_batch_failures += int(whole)
            self.stats.timeouts += int(result.timed_out)
            self.stats.errors += int(result.error is not None and not result.timed_out)
        if whole:
            log.warning("%s: whole batch of %d failed: %s", self.function.name, len(records), reason)
        if self.on_batch:
            self.on_batch(
                BatchOutcome(
                    self.function.name,
                    message_ids,
                    failed,
                    deleted,
                    result,
                    whole,
                    reason,
                    records=records,
                    duplicate=duplicate,
                )
            )

    def _delete(self, records: list[dict[str, Any]]) -> list[str]:
        deleted: list[str] = []
        for start in range(0, len(records), MAX_RECEIVE):
            chunk = records[start : start + MAX_RECEIVE]
            entries = [{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)]
            try:
                response = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception:
                log.exception("%s: DeleteMessageBatch failed", self.function.name)
                with self._lock:
                    self.stats.delete_errors += len(chunk)
                continue
            for ok in response.get("Successful") or []:
                deleted.append(chunk[int(ok["Id"])]["messageId"])
            if response.get("Failed"):
                # A stale receipt handle (the message was received again after its visibility
                # timeout) cannot delete; SQS will deliver that message again.
                with self._lock:
                    self.stats.delete_errors += len(response["Failed"])
        return deleted
