"""Submitting jobs: validation, the ``pending`` record, the payload and the queue message.

Used by the HTTP producer and, as a Python API, by other services::

    from bedrock_jobs.submission import submit_job, submit_jobs
    submit_job(task="summarize", document="...")           # -> SubmitResult
    submit_jobs([{"task": "classify", "document": "...", "labels": ["a", "b"]}, ...])

Order of writes: the job is written ``pending`` first (conditional, never overwriting), then the
message is sent. If sending fails, the ``pending`` record and any uploaded document are removed again,
so a caller who sees an error can simply resubmit and nothing is left behind.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bedrock_jobs import aws_clients
from bedrock_jobs.config import Settings, get_settings
from bedrock_jobs.errors import InvalidJobRequest, RetryableJobError
from bedrock_jobs.job_store import JobStore, utc_now
from bedrock_jobs.messages import JobMessage
from bedrock_jobs.payload_store import PayloadStore

ALLOWED_FIELDS = frozenset({"task", "document", "labels", "model_id", "metadata", "idempotency_key"})
MAX_LABELS = 100
MAX_METADATA_BYTES = 8_192
# Deeper JSON than this is no job request (and Python's recursive parser and encoder would overflow).
MAX_JSON_DEPTH = 32
# DynamoDB numbers hold up to 38 significant digits; larger ones fail the write (DynamoDB Developer
# Guide, "Supported data types": Number).
MAX_NUMBER_DIGITS = 38
# SQS MessageGroupId: 1-128 characters of alphanumerics and punctuation (SendMessage API reference).
_MESSAGE_GROUP_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}\Z")
SEND_BATCH_SIZE = 10  # SQS SendMessageBatch limit
SEND_BATCH_ATTEMPTS = 4
# Deterministic job ids for idempotency keys: the same key always names the same job.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c1c3e-3f43-4c55-9d7a-0c2b8d1f5a10")


class EnqueueError(RuntimeError):
    """The job could not be put on the queue; nothing was left behind."""


@dataclass(frozen=True)
class JobRequest:
    task: str
    document: str
    labels: list[str] | None = None
    model_id: str | None = None
    metadata: dict[str, Any] | None = None
    idempotency_key: str | None = None
    correlation_id: str | None = None

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps([self.task, self.document, self.labels, self.model_id], ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def job_id(self) -> str:
        if self.idempotency_key:
            return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, self.idempotency_key))
        return str(uuid.uuid4())


@dataclass(frozen=True)
class SubmitResult:
    job_id: str | None
    status: str | None  # "pending" for a new job; the existing job's status for a repeated key
    created: bool = False
    error: str | None = None
    status_code: int = 202

    @property
    def ok(self) -> bool:
        return self.error is None


def _reject_constant(name: str) -> Any:
    raise InvalidJobRequest(f"request body contains {name}, which is not a JSON number")


def _storable(value: float) -> bool:
    # DynamoDB numbers range over 1E-130 to 9.99…E+125 in magnitude (DynamoDB Developer Guide).
    return math.isfinite(value) and (value == 0 or 1e-130 <= abs(value) < 1e126)


def parse_request_body(text: str) -> Any:
    """JSON of a request body, without NaN/Infinity and never a RecursionError. Numbers, Unicode and
    depth are checked once, for every entry point, by ``validate_job_request``."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except InvalidJobRequest:
        raise
    except RecursionError as exc:
        raise InvalidJobRequest(f"request body nests deeper than {MAX_JSON_DEPTH} levels") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidJobRequest("request body must be JSON") from exc


def _check_values(value: Any, where: str) -> None:
    """Reject what JSON allows but the job cannot carry: lone surrogates (not UTF-8), non-finite or
    oversized numbers, nesting beyond MAX_JSON_DEPTH. Iterative, so depth cannot overflow the stack."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidJobRequest(f"{where} nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidJobRequest(f"{where} contains invalid Unicode (a lone surrogate)") from exc
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, float):
            if not _storable(item):
                raise InvalidJobRequest(f"{where} contains a number that is not finite or out of range")
        elif isinstance(item, int):
            if len(str(abs(item))) > MAX_NUMBER_DIGITS:
                raise InvalidJobRequest(f"{where}: integers may have at most {MAX_NUMBER_DIGITS} digits")
        elif isinstance(item, Mapping):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
        else:
            raise InvalidJobRequest(f"{where} contains a value that is not JSON: {type(item).__name__}")


def validate_job_request(payload: Any, settings: Settings, correlation_id: str | None = None) -> JobRequest:
    """Check a submission against the SPEC; raises ``InvalidJobRequest`` with a clear message."""
    if not isinstance(payload, Mapping):
        raise InvalidJobRequest("request body must be a JSON object")
    _check_values(payload, "request")
    unknown = set(payload) - ALLOWED_FIELDS
    if unknown:
        raise InvalidJobRequest(
            f"unknown field(s): {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(ALLOWED_FIELDS))}"
        )
    task = payload.get("task")
    if not isinstance(task, str) or not task:
        raise InvalidJobRequest("'task' is required and must be a string")
    if task not in settings.tasks:
        raise InvalidJobRequest(
            f"unknown task {task!r}; expected one of: {', '.join(sorted(settings.tasks))}"
        )
    document = payload.get("document")
    if not isinstance(document, str):
        raise InvalidJobRequest("'document' is required and must be a string")
    if not document.strip():
        raise InvalidJobRequest("'document' must not be empty")
    size = len(document.encode("utf-8"))
    if size > settings.max_document_bytes:
        raise InvalidJobRequest(
            f"'document' is {size} bytes; the limit is {settings.max_document_bytes} bytes", status_code=413
        )
    labels = payload.get("labels")
    if labels is not None:
        if not isinstance(labels, list) or not all(isinstance(x, str) and x.strip() for x in labels):
            raise InvalidJobRequest("'labels' must be a list of non-empty strings")
        if len(labels) > MAX_LABELS:
            raise InvalidJobRequest(f"'labels' may hold at most {MAX_LABELS} entries")
        labels = [x.strip() for x in labels]
    if settings.tasks[task].requires_labels and not labels:
        raise InvalidJobRequest(f"task {task!r} needs a non-empty 'labels' list")
    model_id = payload.get("model_id")
    if model_id is not None and (not isinstance(model_id, str) or not 0 < len(model_id) <= 2048):
        raise InvalidJobRequest("'model_id' must be a non-empty string")
    if model_id is not None and model_id not in settings.permitted_model_ids:
        # Any other id would fail at Bedrock (and page on-call) or open a new metric dimension.
        allowed = ", ".join(sorted(settings.permitted_model_ids))
        raise InvalidJobRequest(f"model_id {model_id[:200]!r} is not allowed; allowed: {allowed}")
    metadata = payload.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InvalidJobRequest("'metadata' must be an object")
        if len(json.dumps(metadata).encode("utf-8")) > MAX_METADATA_BYTES:
            raise InvalidJobRequest(f"'metadata' may be at most {MAX_METADATA_BYTES} bytes of JSON")
        group = metadata.get("message_group_id")
        if group is not None and not (isinstance(group, str) and _MESSAGE_GROUP_ID.match(group)):
            raise InvalidJobRequest(
                "'metadata.message_group_id' must be 1-128 letters, digits or punctuation "
                "(an SQS MessageGroupId)"
            )
    key = payload.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 256):
        raise InvalidJobRequest("'idempotency_key' must be a string of 1-256 characters")
    return JobRequest(
        task=task,
        document=document,
        labels=labels,
        model_id=model_id,
        metadata=metadata,
        idempotency_key=key,
        correlation_id=correlation_id,
    )


@dataclass
class _Prepared:
    """A validated request whose ``pending`` record is written and whose message is ready to send."""

    request: JobRequest
    job_id: str
    send_kwargs: dict[str, Any]
    document_uri: str | None


class JobSubmitter:
    def __init__(self, settings: Settings) -> None:
        settings.require("jobs_table", "queue_url")
        self.settings = settings
        self.store = JobStore(settings.jobs_table or "", ttl_days=settings.job_ttl_days)
        self.payloads = PayloadStore(settings.payload_bucket)

    @property
    def sqs(self) -> Any:
        return aws_clients.client("sqs")

    # -- single job ------------------------------------------------------------------------------
    def submit(self, request: JobRequest) -> SubmitResult:
        prepared_or_result = self._prepare_safely(request)
        if isinstance(prepared_or_result, SubmitResult):
            return prepared_or_result
        prepared = prepared_or_result
        try:
            self.sqs.send_message(QueueUrl=self.settings.queue_url, **prepared.send_kwargs)
        except (ClientError, BotoCoreError) as exc:
            self._roll_back(prepared)
            raise EnqueueError(f"could not enqueue job {prepared.job_id}: {type(exc).__name__}") from exc
        return SubmitResult(prepared.job_id, "pending", created=True)

    # -- many jobs -------------------------------------------------------------------------------
    def submit_many(self, requests: list[JobRequest | InvalidJobRequest]) -> list[SubmitResult]:
        """Results in input order; invalid entries get an error and nothing is stored for them."""
        results: list[SubmitResult | None] = [None] * len(requests)
        ready: list[tuple[int, _Prepared]] = []
        valid = [(i, r) for i, r in enumerate(requests) if isinstance(r, JobRequest)]
        for i, r in enumerate(requests):
            if isinstance(r, InvalidJobRequest):
                results[i] = SubmitResult(None, None, error=r.message, status_code=r.status_code)
        # Records and uploads are independent per job, so they go in parallel.
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(valid)))) as pool:
            for (i, _), prepared in zip(
                valid, pool.map(lambda item: self._prepare_safely(item[1]), valid), strict=True
            ):
                if isinstance(prepared, SubmitResult):
                    results[i] = prepared
                else:
                    ready.append((i, prepared))
        for start in range(0, len(ready), SEND_BATCH_SIZE):
            chunk = ready[start : start + SEND_BATCH_SIZE]
            for i, outcome in self._send_batch(chunk).items():
                results[i] = outcome
        return [r or SubmitResult(None, None, error="not processed", status_code=500) for r in results]

    def _prepare_safely(self, request: JobRequest) -> _Prepared | SubmitResult:
        try:
            return self._prepare(request)
        except (ClientError, BotoCoreError, RetryableJobError) as exc:
            return SubmitResult(
                None, None, error=f"could not store the job: {type(exc).__name__}", status_code=503
            )

    def _send_batch(self, chunk: list[tuple[int, _Prepared]]) -> dict[int, SubmitResult]:
        pending = {str(n): item for n, item in enumerate(chunk)}
        outcomes: dict[int, SubmitResult] = {}
        last_error: dict[str, str] = {}
        for attempt in range(SEND_BATCH_ATTEMPTS):
            if not pending:
                break
            if attempt:
                time.sleep(min(2.0, 0.1 * 2**attempt))
            entries = [
                {"Id": entry_id, **prepared.send_kwargs} for entry_id, (_, prepared) in pending.items()
            ]
            try:
                response = self.sqs.send_message_batch(QueueUrl=self.settings.queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                last_error = {entry_id: type(exc).__name__ for entry_id in pending}
                continue
            for ok in response.get("Successful", []):
                i, prepared = pending.pop(ok["Id"])
                outcomes[i] = SubmitResult(prepared.job_id, "pending", created=True)
            for failed in response.get("Failed", []):
                last_error[failed["Id"]] = failed.get("Code", "error")
                if failed.get("SenderFault"):
                    # Retrying a sender fault gives the same answer.
                    i, prepared = pending.pop(failed["Id"])
                    self._roll_back(prepared)
                    outcomes[i] = SubmitResult(
                        prepared.job_id,
                        None,
                        status_code=400,
                        error=f"SQS rejected the message: {failed.get('Code')}",
                    )
        for entry_id, (i, prepared) in pending.items():
            self._roll_back(prepared)
            outcomes[i] = SubmitResult(
                prepared.job_id,
                None,
                status_code=503,
                error=f"could not enqueue: {last_error.get(entry_id, 'error')}",
            )
        return outcomes

    # -- shared steps ----------------------------------------------------------------------------
    def _prepare(self, request: JobRequest) -> _Prepared | SubmitResult:
        job_id = request.job_id
        correlation_id = request.correlation_id or job_id
        document_uri = None
        document: str | None = request.document
        if len(request.document.encode("utf-8")) > self.settings.inline_document_max_bytes:
            # Only the URI now: the upload waits until this request owns the job id (below), so a
            # repeated or conflicting idempotency key never overwrites the existing job's document.
            document_uri = self.payloads.document_uri(job_id)
            document = None
        submitted_at = utc_now()
        record = {
            "job_id": job_id,
            "task": request.task,
            "model_id": request.model_id
            or self.settings.tasks[request.task].model_id
            or self.settings.model_id,
            "labels": request.labels,
            "metadata": request.metadata or None,
            "correlation_id": correlation_id,
            "submitted_at": submitted_at,
            "document_uri": document_uri,
            "document_bytes": len(request.document.encode("utf-8")),
            "idempotency_key": request.idempotency_key,
            "request_sha256": request.fingerprint,
        }
        if not self.store.create_pending(record):
            return self._existing(job_id, request)
        if document_uri:
            try:
                self.payloads.put_document(job_id, request.document)
            except BaseException:
                self.store.delete_pending(job_id)
                raise
        message = JobMessage(
            job_id=job_id,
            task=request.task,
            document=document,
            document_uri=document_uri,
            labels=request.labels,
            model_id=request.model_id,
            metadata=request.metadata or {},
            correlation_id=correlation_id,
            submitted_at=submitted_at,
        )
        send_kwargs: dict[str, Any] = {
            "MessageBody": message.to_body(),
            "MessageAttributes": {
                name: {"DataType": "String", "StringValue": value}
                for name, value in (
                    ("job_id", job_id),
                    ("task", request.task),
                    ("correlation_id", correlation_id),
                )
            },
        }
        if self.settings.queue_is_fifo:
            group = (request.metadata or {}).get("message_group_id")
            send_kwargs["MessageGroupId"] = str(group or self.settings.fifo_default_message_group_id)[:128]
            send_kwargs["MessageDeduplicationId"] = job_id
        return _Prepared(request, job_id, send_kwargs, document_uri)

    def _existing(self, job_id: str, request: JobRequest) -> SubmitResult:
        job = self.store.get(job_id) or {}
        if request.idempotency_key and job.get("request_sha256") not in (None, request.fingerprint):
            return SubmitResult(
                job_id,
                job.get("status"),
                status_code=409,
                error="idempotency_key was already used for a different request",
            )
        return SubmitResult(job_id, job.get("status", "pending"), created=False)

    def _roll_back(self, prepared: _Prepared) -> None:
        self.store.delete_pending(prepared.job_id)
        if prepared.document_uri:
            self.payloads.delete(prepared.document_uri)


# -- module-level Python API ---------------------------------------------------------------------
def _submitter() -> JobSubmitter:
    return JobSubmitter(get_settings())


def submit_job(
    task: str,
    document: str,
    *,
    labels: list[str] | None = None,
    model_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    correlation_id: str | None = None,
) -> SubmitResult:
    """Submit one job. Raises ``InvalidJobRequest`` for bad input and ``EnqueueError`` if SQS fails."""
    payload = {
        "task": task,
        "document": document,
        "labels": labels,
        "model_id": model_id,
        "metadata": metadata,
        "idempotency_key": idempotency_key,
    }
    settings = get_settings()
    request = validate_job_request(
        {k: v for k, v in payload.items() if v is not None}, settings, correlation_id
    )
    return JobSubmitter(settings).submit(request)


def submit_jobs(jobs: Iterable[Mapping[str, Any]]) -> list[SubmitResult]:
    """Submit many jobs with SendMessageBatch (chunks of 10, failed entries retried); one result per job."""
    settings = get_settings()
    requests: list[JobRequest | InvalidJobRequest] = []
    for job in jobs:
        fields = {k: v for k, v in dict(job).items() if k != "correlation_id"}
        try:
            requests.append(validate_job_request(fields, settings, job.get("correlation_id")))
        except InvalidJobRequest as exc:
            requests.append(exc)
    return _submitter().submit_many(requests)
