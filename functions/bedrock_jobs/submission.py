"""Submitting jobs: validation, the ``pending`` record, the payload and the queue message.

Used by the HTTP producer and, as a Python API, by other services::

    from bedrock_jobs.submission import submit_job, submit_jobs
    submit_job(task="summarize", document="...")           # -> SubmitResult
    submit_jobs([{"task": "classify", "document": "...", "labels": ["a", "b"]}, ...])

Order of writes: the job is written ``pending`` first (conditional, never overwriting), its document
uploaded if it travels by S3, then the message is sent and, once SQS confirms it, the job is marked
``enqueued_at``. What a failure leaves behind depends on what SQS is known to have:

* SQS definitely refused the message (a 4xx on the only attempt, or a batch entry it reported failed):
  the record and document are removed, so a caller who sees the error can simply resubmit.
* The outcome is unknown (timeout, 5xx, throttling retried away, any other exception): SQS may hold
  the message, so the record and document are kept and the caller is told to retry with the same
  ``idempotency_key``. A retry of a job that is still ``pending`` without ``enqueued_at`` sends its
  message again; a duplicate is harmless, because the consumer's lease lets one delivery run the job
  and later ones find it finished.

Messages are measured as SQS counts them (UTF-8 body after JSON escaping, plus every attribute's name,
type and value) against the queue's ``QUEUE_MAX_MESSAGE_BYTES``; a document that would not fit travels
through ``PAYLOAD_BUCKET`` instead, and SendMessageBatch calls are packed by bytes as well as by count.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import math
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bedrock_jobs import aws_clients
from bedrock_jobs.config import JOB_MODES, Settings, get_settings
from bedrock_jobs.errors import InvalidJobRequest, RetryableJobError
from bedrock_jobs.job_store import PENDING, JobStore, utc_now
from bedrock_jobs.messages import JobMessage
from bedrock_jobs.observability import logger
from bedrock_jobs.payload_store import PayloadStore
from bedrock_jobs.tasks import check_labels

ALLOWED_FIELDS = frozenset({"task", "document", "labels", "model_id", "metadata", "idempotency_key", "mode"})
MAX_LABELS = 100
MAX_METADATA_BYTES = 8_192
# Deeper JSON than this is no job request (and Python's recursive parser and encoder would overflow).
MAX_JSON_DEPTH = 32
# DynamoDB numbers hold up to 38 significant digits; larger ones fail the write (DynamoDB Developer
# Guide, "Supported data types": Number).
MAX_NUMBER_DIGITS = 38
# SQS MessageGroupId: 1-128 characters of alphanumerics and punctuation (SendMessage API reference).
_MESSAGE_GROUP_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}\Z")
SEND_BATCH_SIZE = 10  # SQS SendMessageBatch limit (entries); the bytes limit is the queue's message size
SEND_BATCH_ATTEMPTS = 4
# Domain separation for the HMACs/hashes below, so neither value can be replayed as the other.
_JOB_ID_CONTEXT = "bedrock-jobs job id v1"
_OWNER_CONTEXT = "bedrock-jobs owner v1"


class EnqueueError(RuntimeError):
    """The job's message could not be confirmed on the queue.

    ``kept`` tells the two outcomes apart. ``False``: SQS refused the message, the record and document
    were removed and nothing is left behind. ``True``: SQS may hold the message (timeout, 5xx, an
    unexpected error), so the record and document were kept; a retry with the same idempotency key
    finishes the enqueue, and a message SQS did take is processed like any other.
    """

    def __init__(self, message: str, *, job_id: str | None = None, kept: bool = False) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.kept = kept


@dataclass(frozen=True)
class JobRequest:
    task: str
    document: str
    labels: list[str] | None = None
    model_id: str | None = None
    metadata: dict[str, Any] | None = None
    idempotency_key: str | None = None
    correlation_id: str | None = None
    # Who is asking, as the HTTP layer authenticated them (see producer.caller_identity); None for an
    # anonymous request or an in-process submission.
    caller: str | None = None
    # SPEC "Batch mode": an on-demand call ("realtime") or a Bedrock batch inference job ("batch").
    mode: str = "realtime"

    @property
    def fingerprint(self) -> str:
        fields: list[Any] = [self.task, self.document, self.labels, self.model_id]
        if self.mode != "realtime":  # realtime fingerprints stay what they were before modes existed
            fields.append(self.mode)
        canonical = json.dumps(fields, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def owner_of(caller: str | None) -> str | None:
    """What a job records of its submitter: a hash of the caller identity, never the identity itself.

    Unkeyed, so it survives a change of ``JOB_ID_SECRET``; identities are not secrets, only kept out of
    the table and out of GET responses.
    """
    if caller is None:
        return None
    return hashlib.sha256(f"{_OWNER_CONTEXT}\0{caller}".encode()).hexdigest()


def derive_job_id(secret: bytes, caller: str | None, idempotency_key: str) -> str:
    """The job id of an idempotency key: HMAC-SHA256 over the caller's identity and the key.

    The same caller's same key always names the same job; another caller's same key names another
    job, and without the deployment's secret nobody can compute any of them. Shaped like the random
    (version 4) ids of jobs without a key, so an id does not reveal whether it came from a key.
    """
    scope = json.dumps([_JOB_ID_CONTEXT, caller, idempotency_key], ensure_ascii=False)
    digest = hmac.new(secret, scope.encode("utf-8"), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def sqs_message_bytes(send_kwargs: Mapping[str, Any]) -> int:
    """A message's size as SQS counts it against MaximumMessageSize (SendMessage API reference): the
    body's UTF-8 bytes plus, for every message attribute, its name, data type and value."""
    size = len(send_kwargs["MessageBody"].encode("utf-8"))
    for name, attribute in (send_kwargs.get("MessageAttributes") or {}).items():
        size += len(name.encode("utf-8")) + len(attribute["DataType"].encode("utf-8"))
        size += len(attribute.get("StringValue", "").encode("utf-8")) + len(attribute.get("BinaryValue", b""))
    return size


def _definitely_refused(exc: BaseException) -> bool:
    """Whether SQS certainly did not take the request: a 4xx answer to the first and only attempt.

    Anything else may have been applied: a 5xx or timeout can follow a write SQS made, and after a
    retried attempt (botocore retries 5xx, throttling and connection errors) an earlier attempt may
    have succeeded even if the last one was refused.
    """
    if not isinstance(exc, ClientError):
        return False
    metadata = exc.response.get("ResponseMetadata") or {}
    status = metadata.get("HTTPStatusCode")
    return isinstance(status, int) and 400 <= status < 500 and not metadata.get("RetryAttempts")


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


@dataclass(frozen=True)
class SubmitResult:
    job_id: str | None
    status: str | None  # "pending" for a new job; the existing job's status for a repeated key
    created: bool = False
    error: str | None = None
    status_code: int = 202
    # The job's record was kept although its enqueue is unconfirmed: retry with the same idempotency key.
    kept: bool = False

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
            if "" in item:
                # DynamoDB attribute names, map keys included, are at least one character long.
                raise InvalidJobRequest(f"{where} contains an object with an empty key")
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
        try:
            labels = check_labels(labels)
        except ValueError as exc:
            raise InvalidJobRequest(str(exc)) from exc
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
    mode = payload.get("mode", settings.default_mode)
    if mode not in JOB_MODES:
        raise InvalidJobRequest(f"'mode' must be one of: {', '.join(JOB_MODES)}")
    if mode == "batch" and not settings.batch_queue_url:
        raise InvalidJobRequest("batch mode is not enabled in this deployment (no BATCH_QUEUE_URL)")
    return JobRequest(
        mode=mode,
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
    """A job whose ``pending`` record (and document) is stored and whose message is ready to send."""

    request: JobRequest
    job_id: str
    send_kwargs: dict[str, Any]  # without QueueUrl
    size: int  # sqs_message_bytes(send_kwargs)
    document_uri: str | None
    # This submission wrote the record, so no earlier attempt can have sent its message; only then may
    # a refused send delete the record.
    created: bool

    @property
    def mode(self) -> str:
        return self.request.mode


class JobSubmitter:
    def __init__(self, settings: Settings) -> None:
        settings.require("jobs_table", "queue_url")
        self.settings = settings
        self.store = JobStore(settings.jobs_table or "", ttl_days=settings.job_ttl_days)
        self.payloads = PayloadStore(settings.payload_bucket)
        # Outside the module (no JOB_ID_SECRET) ids stay scoped to the caller and to this table and
        # queue, but anyone who knows those names could compute them: the module always sets a secret.
        secret = settings.job_id_secret or f"unset\0{settings.jobs_table}\0{settings.queue_url}"
        self._job_id_key = secret.encode("utf-8")

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
            self.sqs.send_message(QueueUrl=self._queue_for(prepared.mode), **prepared.send_kwargs)
        except Exception as exc:
            # Not only boto errors: whatever interrupts the send leaves SQS's answer unknown.
            raise self._enqueue_failed(prepared, exc) from exc
        self._confirm(prepared)
        return SubmitResult(prepared.job_id, PENDING, created=prepared.created)

    def _enqueue_failed(self, prepared: _Prepared, exc: Exception) -> EnqueueError:
        reason = _error_name(exc)
        if prepared.created and _definitely_refused(exc) and self._roll_back(prepared):
            return EnqueueError(f"SQS refused the message of job {prepared.job_id}: {reason}")
        logger.warning(
            "enqueue unconfirmed; the job is kept for a retry",
            extra={"job_id": prepared.job_id, "error": reason},
        )
        message = f"could not confirm job {prepared.job_id} on the queue: {reason}"
        return EnqueueError(message, job_id=prepared.job_id, kept=True)

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
                valid, pool.map(lambda item: self._prepare_entry(item[1]), valid), strict=True
            ):
                if isinstance(prepared, SubmitResult):
                    results[i] = prepared
                else:
                    ready.append((i, prepared))
        # One message per job: entries repeating an idempotency key in this call share the entry that
        # created the job (the others found its record before it was sent).
        ready.sort(key=lambda item: (not item[1].created, item[0]))
        sender_of: dict[str, int] = {}
        repeats: list[tuple[int, int]] = []
        unique: list[tuple[int, _Prepared]] = []
        for i, prepared in ready:
            if prepared.job_id in sender_of:
                repeats.append((i, sender_of[prepared.job_id]))
            else:
                sender_of[prepared.job_id] = i
                unique.append((i, prepared))
        unique.sort(key=lambda item: item[0])
        for batch in self._batches(unique):
            for i, outcome in self._send_batch(batch).items():
                results[i] = outcome
        for i, sender in repeats:
            if (outcome := results[sender]) is not None:
                results[i] = dataclasses.replace(outcome, created=False)
        return [r or SubmitResult(None, None, error="not processed", status_code=500) for r in results]

    def _batches(self, ready: list[tuple[int, _Prepared]]) -> Iterator[list[tuple[int, _Prepared]]]:
        """Input order, at most SEND_BATCH_SIZE entries and at most the queue's message size in total
        (SQS limits a batch's payload, the sum of its messages, to the same size as one message)."""
        limit = self.settings.queue_max_message_bytes
        batch: list[tuple[int, _Prepared]] = []
        total = 0
        # One queue per call: realtime jobs first, then batch jobs (each in input order).
        for item in sorted(ready, key=lambda item: item[1].mode != "realtime"):
            if batch and (
                len(batch) == SEND_BATCH_SIZE
                or total + item[1].size > limit
                or batch[0][1].mode != item[1].mode
            ):
                yield batch
                batch, total = [], 0
            batch.append(item)
            total += item[1].size
        if batch:
            yield batch

    def _prepare_entry(self, request: JobRequest) -> _Prepared | SubmitResult:
        try:
            return self._prepare_safely(request)
        except InvalidJobRequest as exc:
            return SubmitResult(None, None, error=exc.message, status_code=exc.status_code)

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
        maybe_sent: set[str] = set()  # entries of a call whose outcome is unknown
        refused: dict[str, tuple[int, _Prepared]] = {}
        for attempt in range(SEND_BATCH_ATTEMPTS):
            if not pending:
                break
            if attempt:
                time.sleep(min(2.0, 0.1 * 2**attempt))
            entries = [
                {"Id": entry_id, **prepared.send_kwargs} for entry_id, (_, prepared) in pending.items()
            ]
            try:
                response = self.sqs.send_message_batch(
                    QueueUrl=self._queue_for(chunk[0][1].mode), Entries=entries
                )
            except Exception as exc:
                last_error.update(dict.fromkeys(pending, _error_name(exc)))
                if not _definitely_refused(exc):
                    maybe_sent.update(pending)
                continue
            sent = [pending.pop(ok["Id"]) for ok in response.get("Successful", [])]
            with ThreadPoolExecutor(max_workers=max(1, len(sent))) as pool:
                list(pool.map(lambda item: self._confirm(item[1]), sent))
            for i, prepared in sent:
                outcomes[i] = SubmitResult(prepared.job_id, PENDING, created=prepared.created)
            # A failed entry is one SQS did not take; retrying a sender fault gives the same answer.
            for failed in response.get("Failed", []):
                last_error[failed["Id"]] = failed.get("Code", "error")
                if failed.get("SenderFault") and failed["Id"] in pending:
                    refused[failed["Id"]] = pending.pop(failed["Id"])
        for entry_id, (i, prepared) in [*refused.items(), *pending.items()]:
            code = last_error.get(entry_id, "error")
            if prepared.created and entry_id not in maybe_sent and self._roll_back(prepared):
                if entry_id in refused:
                    outcomes[i] = SubmitResult(
                        prepared.job_id, None, status_code=400, error=f"SQS rejected the message: {code}"
                    )
                else:
                    outcomes[i] = SubmitResult(
                        prepared.job_id, None, status_code=503, error=f"could not enqueue: {code}"
                    )
            else:
                outcomes[i] = SubmitResult(
                    prepared.job_id,
                    None,
                    status_code=503,
                    kept=True,
                    error=f"could not confirm the job on the queue ({code}); it is kept: "
                    + (
                        "retry with the same idempotency_key"
                        if prepared.request.idempotency_key
                        else "it may still run, and a resubmission without an idempotency_key is a new job"
                    ),
                )
        return outcomes

    # -- shared steps ----------------------------------------------------------------------------
    def job_id_for(self, request: JobRequest) -> str:
        if request.idempotency_key:
            return derive_job_id(self._job_id_key, request.caller, request.idempotency_key)
        return str(uuid.uuid4())

    def _prepare(self, request: JobRequest) -> _Prepared | SubmitResult:
        job_id = self.job_id_for(request)
        correlation_id = request.correlation_id or job_id
        submitted_at = utc_now()
        # Measured before anything is stored, so a request whose message can never fit stores nothing.
        # The upload waits until this request owns the job id (below), so a repeated or conflicting
        # idempotency key never overwrites the existing job's document.
        send_kwargs, size, document_uri = self._message(
            request, job_id, correlation_id, submitted_at, request.metadata
        )
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
            "owner": owner_of(request.caller),
            "mode": request.mode,
        }
        if not self.store.create_pending(record):
            return self._existing(job_id, request)
        if document_uri:
            try:
                self.payloads.put_document(job_id, request.document)
            except BaseException:
                self.store.delete_pending(job_id)  # nothing was sent for this job yet
                raise
        return _Prepared(request, job_id, send_kwargs, size, document_uri, created=True)

    def _message(
        self,
        request: JobRequest,
        job_id: str,
        correlation_id: str,
        submitted_at: str,
        metadata: dict[str, Any] | None,
        *,
        by_uri: bool = False,
    ) -> tuple[dict[str, Any], int, str | None]:
        """The SendMessage arguments, their size, and the document's S3 URI if it travels by S3.

        The document goes inline when it is within INLINE_DOCUMENT_MAX_BYTES and the whole message, as
        sent, fits the queue; otherwise by S3. Raises ``InvalidJobRequest`` (413) when even the message
        without the document does not fit (labels and metadata are bounded, so only a small queue
        limit gets there).
        """
        limit = self.settings.queue_max_message_bytes
        fields = {
            "job_id": job_id,
            "task": request.task,
            "labels": request.labels,
            "model_id": request.model_id,
            "metadata": metadata or {},
            "correlation_id": correlation_id,
            "submitted_at": submitted_at,
        }
        document_bytes = len(request.document.encode("utf-8"))
        if not by_uri and document_bytes <= self.settings.inline_document_max_bytes:
            send_kwargs = self._send_kwargs(
                JobMessage(document=request.document, **fields), metadata, request.mode
            )
            size = sqs_message_bytes(send_kwargs)
            if size <= limit:
                return send_kwargs, size, None
        document_uri = self.payloads.document_uri(job_id)
        send_kwargs = self._send_kwargs(
            JobMessage(document_uri=document_uri, **fields), metadata, request.mode
        )
        size = sqs_message_bytes(send_kwargs)
        if size > limit:
            raise InvalidJobRequest(
                f"the job's labels and metadata make a {size}-byte queue message; "
                f"the queue takes at most {limit} bytes",
                status_code=413,
            )
        return send_kwargs, size, document_uri

    def _queue_for(self, mode: str) -> str:
        """The main queue, or the batch queue where batch jobs wait for the batch submitter."""
        queue_url = self.settings.batch_queue_url if mode == "batch" else self.settings.queue_url
        assert queue_url, "validate_job_request refuses batch jobs without BATCH_QUEUE_URL"
        return queue_url

    def _send_kwargs(self, message: JobMessage, metadata: dict[str, Any] | None, mode: str) -> dict[str, Any]:
        send_kwargs: dict[str, Any] = {
            "MessageBody": message.to_body(),
            "MessageAttributes": {
                name: {"DataType": "String", "StringValue": value}
                for name, value in (
                    ("job_id", message.job_id),
                    ("task", message.task),
                    ("correlation_id", message.correlation_id or message.job_id),
                )
            },
        }
        if self.settings.queue_is_fifo and mode == "realtime":
            group = (metadata or {}).get("message_group_id")
            send_kwargs["MessageGroupId"] = str(group or self.settings.fifo_default_message_group_id)[:128]
            send_kwargs["MessageDeduplicationId"] = message.job_id
        return send_kwargs

    def _existing(self, job_id: str, request: JobRequest) -> _Prepared | SubmitResult:
        job = self.store.get(job_id)
        if job is None:
            # Removed between our write attempt and this read: a concurrent submission was refused.
            return SubmitResult(job_id, None, status_code=503, error="the job changed meanwhile; retry")
        if request.idempotency_key and job.get("request_sha256") not in (None, request.fingerprint):
            return SubmitResult(
                job_id,
                job.get("status"),
                status_code=409,
                error="idempotency_key was already used for a different request",
            )
        if job.get("status") == PENDING and not job.get("enqueued_at"):
            # An earlier submission stopped (error, timeout, crash) before SQS confirmed the message:
            # send it now, with the values the record holds. If SQS did have it, the duplicate finds
            # the job leased or finished and never reaches the model a second time.
            send_kwargs, size, document_uri = self._message(
                request,
                job_id,
                job.get("correlation_id") or job_id,
                job.get("submitted_at") or utc_now(),
                job.get("metadata"),
                by_uri=bool(job.get("document_uri")),
            )
            if document_uri:
                # The earlier attempt may have stopped before its upload; the content is the same
                # (same request fingerprint), so writing it again changes nothing a reader could see.
                self.payloads.put_document(job_id, request.document)
            return _Prepared(request, job_id, send_kwargs, size, document_uri, created=False)
        return SubmitResult(job_id, job.get("status", PENDING), created=False)

    def _confirm(self, prepared: _Prepared) -> None:
        try:
            self.store.mark_enqueued(prepared.job_id)
        except Exception as exc:  # the message is queued; at worst a retry sends a harmless duplicate
            logger.warning("could not mark the job enqueued", extra={"job_id": prepared.job_id, "error": exc})

    def _roll_back(self, prepared: _Prepared) -> bool:
        """Remove a job whose message SQS refused; ``False`` (and nothing removed) if that cannot be
        done safely: the record changed meanwhile (a concurrent retry sent it) or the delete failed."""
        try:
            if not self.store.delete_pending(prepared.job_id):
                return False
            if prepared.document_uri:
                self.payloads.delete(prepared.document_uri)
        except Exception as exc:
            logger.warning("could not remove a refused job", extra={"job_id": prepared.job_id, "error": exc})
            return False
        return True


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
    mode: str | None = None,
) -> SubmitResult:
    """Submit one job. Raises ``InvalidJobRequest`` for bad input and ``EnqueueError`` if the message
    cannot be confirmed on the queue (see ``EnqueueError.kept``: then retry with the same key)."""
    payload = {
        "task": task,
        "document": document,
        "labels": labels,
        "model_id": model_id,
        "metadata": metadata,
        "idempotency_key": idempotency_key,
        "mode": mode,
    }
    settings = get_settings()
    request = validate_job_request(
        {k: v for k, v in payload.items() if v is not None}, settings, correlation_id
    )
    return JobSubmitter(settings).submit(request)


def submit_jobs(jobs: Iterable[Mapping[str, Any]]) -> list[SubmitResult]:
    """Submit many jobs with SendMessageBatch (at most 10 entries and the queue's message size per call,
    failed entries retried); one result per job, in input order."""
    settings = get_settings()
    requests: list[JobRequest | InvalidJobRequest] = []
    for job in jobs:
        fields = {k: v for k, v in dict(job).items() if k != "correlation_id"}
        try:
            requests.append(validate_job_request(fields, settings, job.get("correlation_id")))
        except InvalidJobRequest as exc:
            requests.append(exc)
    return _submitter().submit_many(requests)
