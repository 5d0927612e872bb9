"""SQS batch mechanics shared by the consumer and the archiver.

``ConcurrentSqsBatchProcessor`` is Powertools' ``BatchProcessor`` (partial batch responses, success and
failure bookkeeping) with records run on a bounded thread pool, so a batch of ten model calls takes
about one model latency instead of ten. Records are grouped by ``MessageGroupId`` (FIFO queues) and
each group runs in order on one thread: after the first failure in a group the rest of that group is
reported as failed without being processed, which keeps FIFO order. On standard queues every record
is its own group.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.exceptions import SQSFifoMessageGroupCircuitBreakerError
from botocore.exceptions import BotoCoreError, ClientError

from bedrock_jobs import aws_clients

_GROUP_FAILED = (
    SQSFifoMessageGroupCircuitBreakerError,
    SQSFifoMessageGroupCircuitBreakerError("A previous record from this message group failed processing"),
    None,
)


class ConcurrentSqsBatchProcessor(BatchProcessor):
    def __init__(self, max_workers: int = 10, logger: Any | None = None) -> None:
        # A fully failed batch is still a partial response: raising would count as a function error
        # and hide which records failed for which reason.
        super().__init__(EventType.SQS, raise_on_entire_batch_failure=False, logger=logger)
        self.max_workers = max_workers

    def process(self) -> list[tuple]:
        groups: dict[str, list[dict]] = {}
        for record in self.records:
            attributes = record.get("attributes") or {}
            groups.setdefault(attributes.get("MessageGroupId") or record.get("messageId", ""), []).append(
                record
            )
        if len(self.records) <= 1 or self.max_workers <= 1:
            return [result for group in groups.values() for result in self._process_group(group)]
        with ThreadPoolExecutor(
            max_workers=min(self.max_workers, len(groups)), thread_name_prefix="record"
        ) as pool:
            return [
                result for results in pool.map(self._process_group, groups.values()) for result in results
            ]

    def _process_group(self, records: list[dict]) -> list[tuple]:
        results: list[tuple] = []
        group_delay: int | None = None
        for record in records:
            if results and results[-1][0] == "fail":
                data = self._to_batch_type(record, event_type=self.event_type, model=self.model)
                results.append(self.failure_handler(record=data, exception=_GROUP_FAILED))
                if group_delay is not None:
                    # Never tried: it comes back with the head of its group instead of after the
                    # queue's whole visibility timeout.
                    delay_redelivery(record, group_delay, _logger)
                continue
            _last_redelivery_delay.__dict__.pop("seconds", None)
            results.append(self._process_record(record))
            if results[-1][0] == "fail":
                group_delay = _last_redelivery_delay.__dict__.pop("seconds", None)
        return results


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
