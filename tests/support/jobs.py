"""Helpers to put messages on the test queue and run the handlers the way Lambda does."""

from __future__ import annotations

import json
from typing import Any

import bedrock_jobs
import pytest

from tests.conftest import REGION, AwsResources
from tests.support.lambda_events import FakeLambdaContext, receive_event


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    """Change the functions' environment; the handlers read it afresh on their next call."""
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    bedrock_jobs.reset_caches()


def send(
    aws: AwsResources,
    body: dict[str, Any] | str,
    *,
    queue_url: str | None = None,
    attributes: dict[str, str] | None = None,
    group: str | None = None,
) -> str:
    kwargs: dict[str, Any] = {}
    if attributes:
        kwargs["MessageAttributes"] = {
            k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
        }
    url = queue_url or aws.queue_url
    if url.endswith(".fifo"):
        kwargs["MessageGroupId"] = group or "default"
        kwargs["MessageDeduplicationId"] = json.dumps(body, sort_keys=True)[-120:] + str(len(kwargs))
    response = aws.client("sqs").send_message(
        QueueUrl=url, MessageBody=body if isinstance(body, str) else json.dumps(body), **kwargs
    )
    return response["MessageId"]


def job_body(
    job_id: str,
    document: str = "The printer is on fire. Please send help.",
    task: str = "summarize",
    **extra: Any,
) -> dict[str, Any]:
    return {"job_id": job_id, "task": task, "document": document, **extra}


def receive(aws: AwsResources, queue: str = "main", max_messages: int = 10) -> dict[str, Any]:
    url, arn = (aws.queue_url, aws.queue_arn) if queue == "main" else (aws.dlq_url, aws.dlq_arn)
    return receive_event(aws.client("sqs"), url, arn, REGION, max_messages=max_messages)


def run_consumer(
    aws: AwsResources, event: dict[str, Any] | None = None, context: FakeLambdaContext | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Invoke the consumer on ``event`` (default: what the queue has), then do what the event source
    mapping does with the response: delete every message not reported as a batch item failure."""
    from bedrock_jobs import consumer

    event = event if event is not None else receive(aws)
    response = consumer.handler(event, context or FakeLambdaContext(timeout_seconds=50))
    acknowledge(aws, event, response)
    return response, event


def run_archiver(
    aws: AwsResources, event: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    from bedrock_jobs import dlq_archiver

    event = event if event is not None else receive(aws, "dlq")
    response = dlq_archiver.handler(
        event, FakeLambdaContext(timeout_seconds=30, function_name="bedrock-jobs-dlq-archiver")
    )
    acknowledge(aws, event, response)
    return response, event


def acknowledge(aws: AwsResources, event: dict[str, Any], response: dict[str, Any]) -> None:
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    sqs = aws.client("sqs")
    for record in event["Records"]:
        if record["messageId"] not in failed:
            queue_url = aws.dlq_url if record["eventSourceARN"] == aws.dlq_arn else aws.queue_url
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])


def failed_ids(response: dict[str, Any]) -> set[str]:
    return {f["itemIdentifier"] for f in response["batchItemFailures"]}


def queue_counts(aws: AwsResources, queue: str = "main") -> tuple[int, int]:
    """(visible, in flight) messages."""
    url = aws.queue_url if queue == "main" else aws.dlq_url
    attrs = aws.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])
