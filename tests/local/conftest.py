"""Fixtures for the local runner's tests: one embedded moto server per session, fresh queues per test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator

import pytest
from bedrock_jobs_local.embedded_aws import EmbeddedAws

from tests.local.helpers import QueuePair


@pytest.fixture(scope="session")
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws(mode="thread") as embedded:
        yield embedded


@pytest.fixture
def make_queue(aws: EmbeddedAws) -> Callable[..., QueuePair]:
    sqs = aws.client("sqs")

    def make(visibility: int = 1, max_receive: int | None = None, fifo: bool = False) -> QueuePair:
        name = f"t-{uuid.uuid4().hex[:12]}"
        suffix = ".fifo" if fifo else ""
        extra = {"FifoQueue": "true"} if fifo else {}
        queue = QueuePair(url="", arn="")
        attributes = {"VisibilityTimeout": str(visibility), **extra}
        if max_receive is not None:
            dlq_url = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=extra)["QueueUrl"]
            queue.dlq_url, queue.dlq_arn = dlq_url, aws.queue_arn(dlq_url)
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": queue.dlq_arn, "maxReceiveCount": max_receive}
            )
        queue.url = sqs.create_queue(QueueName=f"{name}{suffix}", Attributes=attributes)["QueueUrl"]
        queue.arn = aws.queue_arn(queue.url)
        return queue

    return make
