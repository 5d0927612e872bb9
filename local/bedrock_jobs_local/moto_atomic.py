"""Make moto's DynamoDB writes atomic, as DynamoDB's are.

DynamoDB evaluates a conditional write and applies it as one step, which is what the consumer's
job claim relies on (two deliveries of one job: exactly one claim succeeds). moto's server answers
requests on parallel threads without a lock around an item's read-check-write, so two concurrent
``UpdateItem`` calls with ``attribute_not_exists(job_id)`` can both succeed there. One lock around
moto's write operations restores DynamoDB's behaviour for the tests and the local run.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_WRITE_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()


def make_dynamodb_writes_atomic() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITE_OPERATIONS:
        original = getattr(DynamoDBBackend, name, None)
        if original is None or getattr(original, "_bedrock_jobs_atomic", False):
            continue

        @functools.wraps(original)
        def atomic(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                return __original(self, *args, **kwargs)

        atomic._bedrock_jobs_atomic = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, atomic)


def make_sqs_deletes_atomic() -> None:
    """moto's SQS ``Queue.delete_message`` rebuilds the queue's message list without the lock that
    ``add_message`` appends under, so a message sent while another is being deleted can vanish (the
    chaos run lost a job that way: accepted, confirmed by SQS, never delivered). Deleting under the
    same lock makes a send and a delete on one queue serialise, as they do in SQS."""
    from moto.sqs.models import Queue

    original = Queue.delete_message
    if getattr(original, "_bedrock_jobs_atomic", False):
        return

    @functools.wraps(original)
    def delete_message(self: Any, receipt_handle: str) -> None:
        with self._messages_lock:
            original(self, receipt_handle)

    delete_message._bedrock_jobs_atomic = True  # type: ignore[attr-defined]
    Queue.delete_message = delete_message  # type: ignore[method-assign]
