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
