"""SQS batch mechanics shared by the consumer and the archiver.

``process_partial_response`` runs a Lambda SQS event's records through a record handler on a bounded
thread pool (``ConcurrentSqsBatchProcessor``), so a batch of ten model calls takes about one model
latency instead of ten, and returns Lambda's partial batch response
``{"batchItemFailures": [{"itemIdentifier": <messageId>}, ...]}`` listing the records that failed. A
fully failed batch is still a partial response: raising would count as a function error and hide which
records failed for which reason.

Records are grouped by ``MessageGroupId`` (FIFO queues; on standard queues every record is its own
group). Each group runs on one thread through Powertools' ``SqsFifoPartialProcessor``, used through its
public context-manager API: in order, and after the first failure the rest of the group is reported as
failed without being processed, which keeps FIFO order. Those untried records are given the redelivery
delay of the group's failed head. Powertools' batch package is imported on the first batch, not at
cold start.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bedrock_jobs import aws_clients

ExceptionInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class UnexpectedBatchEventError(ValueError):
    """The event is not an SQS batch: no ``Records`` list of record objects."""


class ConcurrentSqsBatchProcessor:
    """Runs one batch; afterwards ``exceptions`` holds the failed records' exception info."""

    def __init__(self, max_workers: int = 10, logger: Any | None = None) -> None:
        self.max_workers = max_workers
        self.logger = logger
        self.exceptions: list[ExceptionInfo] = []

    def process(
        self, records: list[dict[str, Any]], record_handler: Callable[..., Any], context: Any | None = None
    ) -> dict[str, list[dict[str, str]]]:
        self.exceptions = []
        groups: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            attributes = record.get("attributes") or {}
            groups.setdefault(attributes.get("MessageGroupId") or record.get("messageId", ""), []).append(
                record
            )

        def run(group: list[dict[str, Any]]) -> set[str]:
            return self._process_group(group, record_handler, context)

        if len(records) <= 1 or self.max_workers <= 1:
            failed = [run(group) for group in groups.values()]
        else:
            workers = min(self.max_workers, len(groups))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="record") as pool:
                failed = list(pool.map(run, groups.values()))
        failed_ids = set().union(*failed)
        return {
            "batchItemFailures": [
                {"itemIdentifier": str(r.get("messageId") or "")}
                for r in records
                if str(r.get("messageId") or "") in failed_ids
            ]
        }

    def _process_group(
        self, group: list[dict[str, Any]], record_handler: Callable[..., Any], context: Any | None
    ) -> set[str]:
        """One message group, in order; the message ids that failed."""
        from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor
        from aws_lambda_powertools.utilities.batch.exceptions import (
            BatchProcessingError,
            SQSFifoCircuitBreakerError,
        )

        processor = SqsFifoPartialProcessor(logger=self.logger)
        _last_redelivery_delay.__dict__.pop("seconds", None)
        try:
            with processor(records=group, handler=record_handler, lambda_context=context):
                processor.process()
        except BatchProcessingError:
            pass  # every record of the group failed: reported below like any partial failure
        head_delay = _last_redelivery_delay.__dict__.pop("seconds", None)
        failed: set[str] = set()
        for record, exc_info in zip(processor.fail_messages, processor.exceptions, strict=True):
            failed.add(record.message_id)
            self.exceptions.append(exc_info)  # list.append is atomic under the GIL
            if head_delay is not None and isinstance(exc_info[1], SQSFifoCircuitBreakerError):
                # Never tried: it comes back with the head of its group instead of after the queue's
                # whole visibility timeout.
                delay_redelivery(record.raw_event, head_delay, _logger)
        return failed


def process_partial_response(
    event: dict[str, Any],
    record_handler: Callable[..., Any],
    processor: ConcurrentSqsBatchProcessor,
    context: Any | None = None,
) -> dict[str, list[dict[str, str]]]:
    """Run an SQS event's records; the handler gets ``record=SQSRecord`` (and ``lambda_context=`` when
    its signature names it, as Powertools passes it). Same call and response as Powertools' function."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not records or not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UnexpectedBatchEventError("not an SQS event: expected a non-empty 'Records' list of objects")
    return processor.process(records, record_handler, context)


# -- retry backoff through the message's visibility timeout ------------------------------------------
# The delay the record handler chose for the record that just failed on this thread.
_last_redelivery_delay = threading.local()
_logger = logging.getLogger(__name__)


def set_redelivery_delay(seconds: int) -> None:
    """Called by a record handler that scheduled its own redelivery before raising ``exc``."""
    _last_redelivery_delay.seconds = seconds


_queue_urls: dict[str, str] = {}
_queue_urls_lock = threading.Lock()


def queue_url_from_arn(queue_arn: str) -> str:
    """Resolve the queue URL through the API (no hard-coded endpoint format), cached per container."""
    sqs = aws_clients.client("sqs")
    key = f"{sqs.meta.endpoint_url} {queue_arn}"
    with _queue_urls_lock:
        if key in _queue_urls:
            return _queue_urls[key]
    _, _, _, _, account, name = queue_arn.split(":", 5)
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    with _queue_urls_lock:
        _queue_urls[key] = url
    return url


def forget_queue_urls() -> None:
    with _queue_urls_lock:
        _queue_urls.clear()


def backoff_seconds(receive_count: int, base: int, cap: int, rng: Callable[[], float] | None = None) -> int:
    """Exponential backoff with "equal jitter": between half and all of ``base × 2^(n−1)``, capped."""
    ceiling = min(cap, base * 2 ** max(0, receive_count - 1))
    draw = (rng or random.random)()
    return int(ceiling / 2 + draw * ceiling / 2)


def delay_redelivery(record: dict[str, Any], seconds: int, logger: Any) -> bool:
    """Set the failed message's visibility so SQS redelivers it after ``seconds``; best effort."""
    try:
        aws_clients.client("sqs").change_message_visibility(
            QueueUrl=queue_url_from_arn(record["eventSourceARN"]),
            ReceiptHandle=record["receiptHandle"],
            VisibilityTimeout=max(0, min(seconds, 43_200)),
        )
    except (ClientError, BotoCoreError, KeyError, ValueError) as exc:
        # The message still comes back after the queue's own visibility timeout.
        logger.warning("could not change message visibility", extra={"error": str(exc)})
        return False
    return True
