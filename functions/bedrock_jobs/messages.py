"""The queue message schema (SPEC "Queue message body") and the other shapes the consumer accepts.

Accepted bodies:
1. The SPEC message: ``{"job_id", "task", "document" | "document_uri", "labels"?, "model_id"?,
   "metadata"?, "correlation_id"?, "submitted_at"?}`` — sent by the producer and by the module's
   EventBridge input transformers.
2. A raw EventBridge event (a rule targeting the queue without a transformer): ``job_id`` is the event
   id; an S3 "Object Created" event becomes a ``document_uri`` job for ``DEFAULT_TASK``; any other event
   must carry ``task`` and ``document``/``document_uri`` in its ``detail``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from bedrock_jobs.errors import PermanentJobError
from bedrock_jobs.tasks import check_labels

_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
# S3 keys may hold any UTF-8 character, newlines included (S3 User Guide, "Naming objects").
_S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])/(?P<key>.+)\Z", re.S)
_OPTIONAL_STRINGS = ("model_id", "correlation_id", "submitted_at")


@dataclass(frozen=True)
class JobMessage:
    job_id: str
    task: str
    document: str | None = None
    document_uri: str | None = None
    labels: list[str] | None = None
    model_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None
    submitted_at: str | None = None

    def to_body(self) -> str:
        return json.dumps(
            {k: v for k, v in asdict(self).items() if v not in (None, {}, [])},
            ensure_ascii=False,
            separators=(",", ":"),
        )


def parse_s3_uri(uri: str) -> tuple[str, str]:
    match = _S3_URI.match(uri or "")
    if not match:
        raise PermanentJobError(f"not an s3://bucket/key URI: {uri[:200]!r}")
    return match.group("bucket"), match.group("key")


def is_valid_job_id(job_id: object) -> bool:
    return isinstance(job_id, str) and bool(_JOB_ID.match(job_id))


def _require_str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PermanentJobError(f"message field {name!r} must be a non-empty string")
    return value


def _has_empty_key(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _from_spec_shape(body: dict[str, Any]) -> JobMessage:
    job_id = _require_str(body, "job_id")
    if not is_valid_job_id(job_id):
        raise PermanentJobError("message field 'job_id' must be 1-128 characters of [A-Za-z0-9._:-]")
    task = _require_str(body, "task")
    document, document_uri = body.get("document"), body.get("document_uri")
    if (document is None) == (document_uri is None):
        raise PermanentJobError("message must carry exactly one of 'document' and 'document_uri'")
    if document is not None and (not isinstance(document, str) or not document.strip()):
        raise PermanentJobError("message field 'document' must be a non-empty string")
    if document_uri is not None:
        if not isinstance(document_uri, str):
            raise PermanentJobError("message field 'document_uri' must be a string")
        parse_s3_uri(document_uri)
    labels = body.get("labels")
    if labels is not None:
        # The producer's rules: a sender that skipped it gets the same refusal, as a failed job.
        try:
            labels = check_labels(labels)
        except ValueError as exc:
            raise PermanentJobError(f"message field {exc}") from exc
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise PermanentJobError("message field 'metadata' must be an object")
    if _has_empty_key(metadata):
        # DynamoDB attribute names, map keys included, are at least one character: no claim could store it.
        raise PermanentJobError("message field 'metadata' contains an object with an empty key")
    optional = {}
    for name in _OPTIONAL_STRINGS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise PermanentJobError(f"message field {name!r} must be a string")
        optional[name] = value or None
    return JobMessage(
        job_id=job_id,
        task=task,
        document=document,
        document_uri=document_uri,
        labels=labels,
        metadata=metadata,
        **optional,
    )


def _from_eventbridge(event: dict[str, Any], default_task: str) -> JobMessage:
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    common = {"job_id": event.get("id"), "correlation_id": event.get("id"), "submitted_at": event.get("time")}
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        bucket = (detail.get("bucket") or {}).get("name")
        key = (detail.get("object") or {}).get("key")
        if not bucket or not key:
            raise PermanentJobError("S3 'Object Created' event without bucket name or object key")
        # EventBridge delivers S3 keys URL-encoded, like S3 event notifications.
        document_uri = f"s3://{bucket}/{unquote_plus(key)}"
        return _from_spec_shape(
            {
                **common,
                "task": detail.get("task") or default_task,
                "document_uri": document_uri,
                "metadata": {"source": "aws.s3", "bucket": bucket},
            }
        )
    return _from_spec_shape({**detail, **{k: v for k, v in common.items() if k not in detail}})


def _load(body: str) -> Any:
    """json.loads that turns any body into a value or a PermanentJobError (never RecursionError)."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        # A body nested beyond Python's recursion limit is no job: fail it, so it is archived.
        raise PermanentJobError("message body nests too deeply to be a job") from exc
    except (TypeError, ValueError) as exc:
        raise PermanentJobError(f"message body is not JSON: {getattr(exc, 'msg', exc)}") from exc


def parse_job_message(body: str, default_task: str) -> JobMessage:
    """Validate a queue message body; raises ``PermanentJobError`` with a clear reason."""
    data = _load(body)
    if not isinstance(data, dict):
        raise PermanentJobError("message body must be a JSON object")
    if "detail-type" in data and "source" in data and "job_id" not in data:
        return _from_eventbridge(data, default_task)
    return _from_spec_shape(data)


def string_attribute(record: dict[str, Any], name: str) -> str | None:
    """A String message attribute of a raw Lambda SQS record (``{"stringValue", "dataType"}``)."""
    attribute = (record.get("messageAttributes") or {}).get(name) or {}
    value = attribute.get("stringValue")
    return value if isinstance(value, str) and value else None


def receive_count(record: dict[str, Any]) -> str | None:
    """``ApproximateReceiveCount`` of a raw Lambda SQS record, if the record carries it."""
    value = (record.get("attributes") or {}).get("ApproximateReceiveCount")
    return str(value) if value is not None else None


def job_id_hint(body: str) -> str | None:
    """Best-effort job id from a body that failed validation, so its job can still be marked failed.

    The same rule as ``parse_job_message``: a SPEC message's ``job_id``; for a raw EventBridge event,
    ``detail.job_id`` when it has one, else the event id.
    """
    try:
        data = _load(body)
    except PermanentJobError:
        return None
    if not isinstance(data, dict):
        return None
    if "detail-type" in data and "source" in data and "job_id" not in data:
        detail = data.get("detail") if isinstance(data.get("detail"), dict) else {}
        candidate = detail.get("job_id") or data.get("id")
    else:
        candidate = data.get("job_id")
    return candidate if is_valid_job_id(candidate) else None
