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
        "runbook": "docs/runbook.md#runbook-archived-failures",
    }
    _publish(
        topic_arn,
        f"bedrock-jobs: job {job_id or message_id} failed and was archived",
        alert,
        {"event": "job.archived_failure"},
    )
    return True


# SNS takes at most 256 KiB per message (body, subject and attributes together): stay well below.
ALERT_MAX_BYTES = 200_000
_REASON_MAX_CHARS = 500


def _archive_prefix(archive_uri: str) -> str:
    """``s3://bucket/failed/YYYY/MM/DD/`` of an archive object's URI."""
    return archive_uri.rsplit("/", 1)[0] + "/"


def page_archived_failures(topic_arn: str | None, failures: list[dict[str, Any]]) -> bool:
    """One alert for every failure archived by one DLQ archiver invocation; whether it was sent.

    ``failures`` holds one entry per dead-lettered message: ``message_id``, ``job_id``, ``reason``,
    ``archive_uri``, ``receive_count``, ``source_queue``. All are counted; as many as fit under SNS's
    size limit are listed and the rest counted in ``omitted`` (the ``archive_prefixes`` lead to them).
    A single failure is also described at the top level, in the shape of a per-message alert.
    """
    if not topic_arn or not failures:
        return False
    entries = [
        {**f, "reason": str(f.get("reason") or "")[:_REASON_MAX_CHARS]}
        for f in sorted(failures, key=lambda f: (str(f.get("job_id")), str(f.get("message_id"))))
    ]
    alert: dict[str, Any] = {
        "event": "job.archived_failure",
        "count": len(entries),
        "source_queue": entries[0].get("source_queue"),
        "archive_prefixes": sorted({_archive_prefix(f["archive_uri"]) for f in entries}),
        "runbook": "docs/runbook.md#runbook-archived-failures",
        "failures": [],
        "omitted": 0,
    }
    if len(entries) == 1:
        alert.update({k: entries[0].get(k) for k in ("job_id", "message_id", "reason", "archive_uri")})
        alert["receive_count"] = entries[0].get("receive_count")
    # Entries are added while the message still fits; the size of each is known, so no re-encoding.
    size = len(json.dumps(alert, default=str).encode("utf-8"))
    for listed, entry in enumerate(entries):
        entry_size = len(json.dumps(entry, default=str).encode("utf-8")) + 2  # ", " separator
        if size + entry_size + len(str(len(entries))) > ALERT_MAX_BYTES:
            alert["omitted"] = len(entries) - listed
            break
        alert["failures"].append(entry)
        size += entry_size
    single = entries[0].get("job_id") or entries[0].get("message_id")
    subject = (
        f"bedrock-jobs: job {single} failed and was archived"
        if len(entries) == 1
        else f"bedrock-jobs: {len(entries)} dead-lettered messages failed and were archived"
    )
    _publish(topic_arn, subject, alert, {"event": "job.archived_failure"})
    return True
