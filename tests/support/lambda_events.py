"""Lambda-shaped SQS events built from messages really received from (moto's) SQS, and a Lambda context.

Both come from the local runner (``bedrock_jobs_local``), whose event shape is itself tested against
Powertools' SQS model and the documented event source mapping behaviour.
"""

from __future__ import annotations

from typing import Any

from bedrock_jobs_local.event_source_mapping import to_lambda_record
from bedrock_jobs_local.lambda_context import LambdaContext

__all__ = ["FakeLambdaContext", "receive_event", "to_lambda_record"]


def FakeLambdaContext(
    timeout_seconds: float = 50.0, function_name: str = "bedrock-jobs-consumer"
) -> LambdaContext:
    """A context whose remaining time counts down from ``timeout_seconds`` in real time."""
    return LambdaContext(function_name=function_name, timeout_seconds=timeout_seconds, memory_limit_in_mb=512)


def receive_event(
    sqs: Any, queue_url: str, queue_arn: str, region: str, max_messages: int = 10, wait_seconds: int = 0
) -> dict[str, Any]:
    """Receive up to ``max_messages`` (in calls of ≤ 10) and wrap them as one Lambda SQS event."""
    records: list[dict[str, Any]] = []
    while len(records) < max_messages:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, max_messages - len(records)),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=wait_seconds,
        )
        messages = response.get("Messages", [])
        if not messages:
            break
        records.extend(to_lambda_record(m, queue_arn, region) for m in messages)
    return {"Records": records}
