"""Lambda-shaped SQS events built from messages really received from (moto's) SQS.

Records match what the SQS event source mapping delivers: ``messageId``, ``receiptHandle``, ``body``,
``attributes`` (ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp,
and MessageGroupId/MessageDeduplicationId/SequenceNumber on FIFO queues), ``messageAttributes`` as
``{stringValue, stringListValues, binaryListValues, dataType}``, ``md5OfBody``, ``eventSource``,
``eventSourceARN`` and ``awsRegion``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


def to_lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        attribute: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        if "StringValue" in value:
            attribute["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            attribute["binaryValue"] = value["BinaryValue"]
        message_attributes[name] = attribute
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": message_attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


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


@dataclass
class FakeLambdaContext:
    """Lambda context whose remaining time counts down from ``timeout_seconds`` in real time."""

    timeout_seconds: float = 50.0
    function_name: str = "bedrock-jobs-consumer"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bedrock-jobs-consumer"
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/bedrock-jobs-consumer"
    log_stream_name: str = "2026/11/22/[$LATEST]0000"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))
