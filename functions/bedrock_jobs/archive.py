"""Archived failures: one JSON object per message under ``failed/YYYY/MM/DD/<messageId>.json``.

Used by the DLQ archiver for every dead-lettered message and by the consumer for messages it fails
permanently, so an operator finds every failure in one place and can replay it from there.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bedrock_jobs import aws_clients

ARCHIVE_PREFIX = "failed/"


def archive_key(message_id: str, archived_at: datetime) -> str:
    return f"{ARCHIVE_PREFIX}{archived_at:%Y/%m/%d}/{message_id}.json"


def archive_record(
    bucket: str, record: dict[str, Any], *, reason: str, job_id: str | None, archived_by: str
) -> str:
    """Write ``record`` (a raw Lambda SQS record) to the archive; returns its ``s3://`` URI."""
    archived_at = datetime.now(UTC)
    message_id = record.get("messageId") or "unknown"
    document = {
        "message_id": message_id,
        "job_id": job_id,
        "reason": reason,
        "archived_by": archived_by,
        "archived_at": archived_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source_queue": record.get("eventSourceARN"),
        "body": record.get("body"),
        "attributes": record.get("attributes") or {},
        "message_attributes": record.get("messageAttributes") or {},
        "md5_of_body": record.get("md5OfBody"),
        "aws_region": record.get("awsRegion"),
        # The record exactly as Lambda delivered it, so a replay can resend it unchanged.
        "record": {k: v for k, v in record.items() if k != "receiptHandle"},
    }
    key = archive_key(message_id, archived_at)
    aws_clients.client("s3").put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, ensure_ascii=False).encode("utf-8"),
        ContentType="application/json",
    )
    return f"s3://{bucket}/{key}"
