"""SNS notices: "job completed/failed" to the results topic and pages to the on-call alerts topic.

Notices carry ids, states, reasons and URIs, never document or result text.
"""

from __future__ import annotations

import json
from typing import Any

from bedrock_jobs import aws_clients
from bedrock_jobs.messages import receive_count


def _publish(topic_arn: str, subject: str, message: dict[str, Any], attributes: dict[str, str]) -> None:
    aws_clients.client("sns").publish(
        TopicArn=topic_arn,
        Subject=subject[:100],
        Message=json.dumps(message, default=str),
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items() if v},
    )


def publish_job_notice(topic_arn: str | None, job: dict[str, Any]) -> None:
    """Fan-out notice when a job reaches ``complete`` or ``failed`` (subscribers filter on attributes)."""
    if not topic_arn:
        return
    status = job.get("status", "")
    notice = {
        "event": f"job.{status}",
        **{
            k: job.get(k)
            for k in (
                "job_id",
                "status",
                "task",
                "model_id",
                "result_uri",
                "error",
                "input_tokens",
                "output_tokens",
                "stop_reason",
                "correlation_id",
                "completed_at",
                "failed_at",
            )
            if job.get(k) is not None
        },
    }
    _publish(
        topic_arn, f"bedrock-jobs: job {status}", notice, {"status": status, "task": job.get("task", "")}
    )


def page_on_call(
    topic_arn: str | None, record: dict[str, Any], *, job_id: str | None, reason: str, archive_uri: str
) -> bool:
    """Alert on the archived failure of ``record`` (a raw Lambda SQS record); whether a page was sent."""
    if not topic_arn:
        return False
    message_id = record.get("messageId") or "unknown"
    alert = {
        "event": "job.archived_failure",
        "job_id": job_id,
        "reason": reason,
        "archive_uri": archive_uri,
        "source_queue": record.get("eventSourceARN"),
        "message_id": message_id,
        "receive_count": receive_count(record),
        "runbook": "README.md#runbook-archived-failure",
    }
    _publish(
        topic_arn,
        f"bedrock-jobs: job {job_id or message_id} failed and was archived",
        alert,
        {"event": "job.archived_failure"},
    )
    return True
