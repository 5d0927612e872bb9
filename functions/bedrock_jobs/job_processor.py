"""One queue record → one job processed: the consumer's per-record logic.

Outcomes of ``JobProcessor.process``:
* returns normally → the message is deleted (job complete, a duplicate of a finished job, or a
  permanent failure that was archived and recorded on the job);
* raises → the record is a batch item failure and comes back after a backoff (retryable errors,
  another invocation holding the lease, not enough invocation time left, unexpected errors).
If the archive of a permanent failure cannot be written, the record is retried instead, so a
message is never deleted without its body being preserved.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from bedrock_jobs import aws_clients
from bedrock_jobs.archive import archive_record
from bedrock_jobs.batch import backoff_seconds, delay_redelivery, set_redelivery_delay
from bedrock_jobs.config import STORAGE_MARGIN_SECONDS, Settings
from bedrock_jobs.errors import (
    DeadlineExceededError,
    JobInProgressError,
    ModelThrottledError,
    PermanentJobError,
    RetryableJobError,
    SystemicError,
)
from bedrock_jobs.job_store import Claim, ClaimOutcome, JobStore, lease_seconds_left
from bedrock_jobs.messages import JobMessage, job_id_hint, parse_job_message, receive_count, string_attribute
from bedrock_jobs.model_client import ModelClient, ModelResult, build_converse_request
from bedrock_jobs.notifications import publish_job_notice
from bedrock_jobs.observability import (
    emit_guardrail_intervention,
    emit_input_failure,
    emit_job_metrics,
    emit_systemic_error,
    logger,
    tracer,
)
from bedrock_jobs.payload_store import PayloadStore
from bedrock_jobs.tasks import TaskDefinition

if TYPE_CHECKING:  # annotations only; the batch processor builds the records
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

# Extra lease beyond the invocation's remaining time, so the lease outlives the invocation that holds it.
LEASE_MARGIN_SECONDS = 30
DYNAMODB_ITEM_LIMIT_BYTES = 400_000
# Attribute names, DynamoDB's per-attribute bytes and the fields the completion adds.
ITEM_OVERHEAD_BYTES = 4_000


def remaining_seconds(lambda_context: Any | None) -> float | None:
    """Invocation time left, or ``None`` when the caller passed no usable Lambda context."""
    get_remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if not callable(get_remaining):
        return None
    try:
        millis = get_remaining()
    except Exception:
        return None
    # Only a real number counts: a test double's auto-generated return value is not a deadline.
    if isinstance(millis, bool) or not isinstance(millis, int | float):
        return None
    return millis / 1000


# AWS answers that mean the deployment is wrong (permissions, a missing table or bucket, a disabled or
# missing KMS key, bad credentials) rather than that this job is: see errors.SystemicError.
SYSTEMIC_AWS_ERROR_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "ResourceNotFoundException",
        "NoSuchBucket",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "KMS.DisabledException",
        "KMS.NotFoundException",
        "KMS.KMSInvalidStateException",
        "KMS.AccessDeniedException",
    }
)


def as_systemic_error(exc: Exception) -> SystemicError | None:
    """``exc`` as a ``SystemicError`` when it is one, or an AWS error that means a deployment problem."""
    if isinstance(exc, SystemicError):
        return exc
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in SYSTEMIC_AWS_ERROR_CODES:
            operation = getattr(exc, "operation_name", "") or "AWS call"
            return SystemicError(f"{operation}: {code}")
    return None


@dataclass
class _Progress:
    """How far one record got: whether giving its lease back un-counts the attempt, and an answer that
    this invocation got from the model but has not stored with the job yet."""

    model_called: bool = False
    unstored_answer: ModelResult | None = None


@dataclass(frozen=True)
class RecordOutcome:
    job_id: str | None
    status: str  # complete | failed | duplicate


def _correlation_id(record: SQSRecord, message: JobMessage | None) -> str:
    from_attribute = string_attribute(record.raw_event, "correlation_id")
    return (message.correlation_id if message else None) or from_attribute or record.message_id


def completion_fields(
    task: TaskDefinition,
    result: ModelResult,
    labels: list[str] | None,
    job_id: str,
    job: dict[str, Any],
    payloads: PayloadStore,
    inline_result_max_bytes: int,
) -> dict[str, Any]:
    """What a complete write stores for a model answer: the consumer's and the batch collector's rule.

    The result goes inline while it is within ``inline_result_max_bytes`` and the whole item stays clear
    of DynamoDB's 400 KB (the item holds the job's other attributes too); otherwise to S3.
    """
    text = task.normalise_output(result.text, labels)
    fields: dict[str, Any] = {
        "model_id": result.model_id,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "stop_reason": result.stop_reason,
        "latency_ms": result.latency_ms,
        "result_bytes": len(text.encode("utf-8")),
        # label_matched for a labelling task: a reply that is none of the labels is flagged as such.
        **task.output_fields(result.text, labels),
    }
    size = fields["result_bytes"]
    fits = size <= inline_result_max_bytes and (
        len(json.dumps(job, default=str).encode("utf-8")) + size + ITEM_OVERHEAD_BYTES
        <= DYNAMODB_ITEM_LIMIT_BYTES
    )
    if fits:
        fields["result"] = text
    else:
        fields["result_uri"] = payloads.put_result(job_id, text)
    return fields


class JobProcessor:
    def __init__(self, settings: Settings) -> None:
        # MODEL_ID and ARCHIVE_BUCKET are checked where they are needed: a job naming its own model
        # needs no default, and without an archive a permanent failure stays on the queue (→ DLQ).
        settings.require("jobs_table")
        self.settings = settings
        self.store = JobStore(settings.jobs_table or "", ttl_days=settings.job_ttl_days)
        self.payloads = PayloadStore(settings.payload_bucket)
        self._model: ModelClient | None = None

    @property
    def model(self) -> ModelClient:
        s = self.settings
        client = aws_clients.bedrock_runtime(
            s.bedrock_connect_timeout_seconds, s.bedrock_read_timeout_seconds, s.bedrock_max_attempts
        )
        # One ModelClient per botocore client: its retry hook is set up once, not per record.
        if self._model is None or self._model.bedrock_runtime is not client:
            self._model = ModelClient(client)
        return self._model

    # -- entry point -----------------------------------------------------------------------------
    def process(self, record: SQSRecord, lambda_context: Any | None = None) -> RecordOutcome:
        message: JobMessage | None = None
        claim: Claim | None = None
        progress = _Progress()
        logger.thread_safe_clear_keys()
        logger.thread_safe_append_keys(message_id=record.message_id, correlation_id=record.message_id)
        try:
            try:
                deadline = self._check_deadline(lambda_context)
                message = parse_job_message(record.body, self.settings.default_task)
                logger.thread_safe_append_keys(
                    job_id=message.job_id, task=message.task, correlation_id=_correlation_id(record, message)
                )
                claim = self._claim(record, message, lambda_context)
                if claim.outcome is not ClaimOutcome.CLAIMED:
                    return self._skip(message, claim)
                return self._run(message, claim, deadline, progress)
            except PermanentJobError as exc:
                # Nested so that a failure to record the permanent failure (archive, table) is retried.
                kind = exc.kind if message else "invalid_message"
                return self._fail_permanently(record, message, exc.reason, claim, kind)
        except Exception as exc:
            retry = as_systemic_error(exc) or exc
            if isinstance(retry, RetryableJobError):
                reason = retry.reason
            else:
                reason = f"unexpected {type(exc).__name__}"
                logger.exception("unexpected error; the record will be retried")
            if claim and claim.token and message:
                if progress.unstored_answer is not None:
                    self._save_answer(message.job_id, progress.unstored_answer)
                self._release(message.job_id, claim.token, reason, model_called=progress.model_called)
            if isinstance(retry, SystemicError):
                emit_systemic_error(reason)
            self._schedule_retry(record, retry)
            raise
        finally:
            logger.thread_safe_clear_keys()

    # -- steps -----------------------------------------------------------------------------------
    def _check_deadline(self, lambda_context: Any | None) -> float | None:
        """The record's deadline (``time.monotonic``) for the model call, or refuse to start it."""
        remaining = remaining_seconds(lambda_context)
        if remaining is None:
            return None
        needed = self.settings.attempt_budget_seconds
        if remaining < needed:
            raise DeadlineExceededError(f"{remaining:.1f}s left, one model attempt may need {needed:.1f}s")
        return time.monotonic() + remaining - STORAGE_MARGIN_SECONDS

    def _claim(self, record: SQSRecord, message: JobMessage, lambda_context: Any | None) -> Claim:
        task = self.settings.tasks.get(message.task)
        if task is None:
            raise PermanentJobError(
                f"unknown task {message.task!r}; configured: {', '.join(sorted(self.settings.tasks))}",
                kind="unknown_task",
            )
        if task.requires_labels and not message.labels:
            raise PermanentJobError(
                f"task {message.task!r} needs a non-empty 'labels' list", kind="invalid_message"
            )
        if message.model_id and message.model_id not in self.settings.permitted_model_ids:
            # Senders other than the producer (EventBridge, other services) are held to the same set.
            raise PermanentJobError(
                f"model_id {message.model_id[:200]!r} is not allowed "
                "(MODEL_ID, the tasks' models, ALLOWED_MODEL_IDS)",
                kind="invalid_message",
            )
        # Without a context, assume Lambda's longest possible invocation.
        remaining = remaining_seconds(lambda_context) or 900.0
        lease = max(self.settings.job_lease_seconds, remaining + LEASE_MARGIN_SECONDS)
        model_id = message.model_id or task.model_id or self.settings.model_id
        # The producer (and the archiver, requeueing) send the job id as an attribute after writing the
        # record; any redelivery follows a first delivery that created it.
        record_expected = string_attribute(record.raw_event, "job_id") == message.job_id or (
            int(receive_count(record.raw_event) or 1) > 1
        )
        claim = self.store.claim(
            message.job_id,
            lease,
            record_expected=record_expected,
            defaults={
                "task": message.task,
                "model_id": model_id,
                "labels": message.labels,
                "metadata": message.metadata,
                "correlation_id": message.correlation_id,
                "submitted_at": message.submitted_at,
                "document_uri": message.document_uri,
            },
        )
        if claim.outcome is ClaimOutcome.IN_PROGRESS:
            left = lease_seconds_left(claim.job)
            raise JobInProgressError(
                "another invocation holds this job's lease"
                + (f" for {left:.0f} s more" if left is not None else ""),
                lease_seconds_left=left,
            )
        return claim

    def _skip(self, message: JobMessage, claim: Claim) -> RecordOutcome:
        # A duplicate delivery of a finished job: acknowledge it, never call the model again.
        logger.info(
            "duplicate delivery of a finished job; acknowledged",
            extra={"job_status": claim.job.get("status")},
        )
        return RecordOutcome(message.job_id, "duplicate")

    @tracer.capture_method(capture_response=False)
    def _run(
        self, message: JobMessage, claim: Claim, deadline: float | None, progress: _Progress
    ) -> RecordOutcome:
        assert claim.token
        task = self.settings.tasks[message.task]
        result = self._saved_answer(message.job_id, claim)
        if result is None:
            result = self._ask_model(message, claim, deadline, progress)
        fields = completion_fields(
            task,
            result,
            message.labels,
            message.job_id,
            claim.job,
            self.payloads,
            self.settings.inline_result_max_bytes,
        )
        stored = self.store.complete(message.job_id, claim.token, fields)
        progress.unstored_answer = None
        if not stored:
            # Our lease expired and another invocation took over; its outcome stands.
            logger.warning("lease lost before completion; result not stored")
            return RecordOutcome(message.job_id, "duplicate")
        logger.info(
            "job complete",
            extra={
                "model_id": result.model_id,
                "latency_ms": result.latency_ms,
                "input_tokens": result.input_tokens,
                "output_tokens": result.output_tokens,
                "stop_reason": result.stop_reason,
            },
        )
        emit_job_metrics(
            task=message.task,
            model_id=result.model_id,
            outcome="complete",
            latency_ms=result.latency_ms,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
        )
        self._notify({**claim.job, **fields, "status": "complete"})
        return RecordOutcome(message.job_id, "complete")

    def _saved_answer(self, job_id: str, claim: Claim) -> ModelResult | None:
        """The answer an earlier delivery got and saved before it failed to finish the job.

        Only a job claimed before can have one (``attempts`` counts claims that may have reached the
        model), so a first delivery costs no S3 read.
        """
        if int(claim.job.get("attempts") or 1) <= 1:
            return None
        answer = self.payloads.saved_model_answer(job_id)
        if answer is None:
            return None
        logger.info("finishing the job from the model answer an earlier delivery saved")
        return ModelResult(**{f.name: answer[f.name] for f in fields(ModelResult)})

    def _ask_model(
        self, message: JobMessage, claim: Claim, deadline: float | None, progress: _Progress
    ) -> ModelResult:
        task = self.settings.tasks[message.task]
        document = message.document
        if document is None:
            # Uploads and other senders' objects may be any size: read no more than the limit.
            document = self.payloads.read_text(
                message.document_uri or "", max_bytes=self.settings.max_document_bytes
            )
        if not document.strip():
            raise PermanentJobError("document is empty", kind="invalid_message")
        model_id = claim.job.get("model_id") or self.settings.model_id
        if not model_id:
            raise SystemicError("no model id: the message names none and MODEL_ID is not set")
        self._check_time_for_model_attempt(deadline)
        request = build_converse_request(
            task, model_id, document, message.labels, message.job_id, self.settings.guardrail_for(task)
        )
        progress.model_called = True
        result = self.model.converse(request, deadline=deadline)
        # Stored with the job by the complete write; saved on its own only if that write fails, so
        # the happy path costs no extra call (a crash before either store loses it all the same).
        progress.unstored_answer = result
        return result

    def _check_time_for_model_attempt(self, deadline: float | None) -> None:
        """Gate the first model attempt too: the claim or the S3 read may have been slow."""
        if deadline is None:
            return
        needed = self.settings.bedrock_connect_timeout_seconds + self.settings.bedrock_read_timeout_seconds
        left = deadline - time.monotonic()
        if left < needed:
            raise DeadlineExceededError(
                f"{left:.1f}s left before the model call, one attempt may need {needed:.1f}s", claimed=True
            )

    def _save_answer(self, job_id: str, result: ModelResult) -> None:
        """Keep an answer the job could not be completed with, so the next delivery finishes from it."""
        if not self.payloads.bucket:
            logger.warning("no PAYLOAD_BUCKET to save the model answer in; the retry asks the model again")
            return
        try:
            self.payloads.save_model_answer(job_id, asdict(result))
        except Exception as exc:
            logger.warning(
                "could not save the model answer; the retry asks the model again", extra={"error": str(exc)}
            )
        else:
            logger.info("model answer saved for the retry")

    def _fail_permanently(
        self,
        record: SQSRecord,
        message: JobMessage | None,
        reason: str,
        claim: Claim | None = None,
        kind: str = "other",
    ) -> RecordOutcome:
        job_id = message.job_id if message else job_id_hint(record.body)
        if not self.settings.archive_bucket:
            raise RetryableJobError(f"{reason}; ARCHIVE_BUCKET is not set, so the message stays queued")
        # Archive first: if this write fails the exception makes the record a batch item failure,
        # so the message stays on the queue (and eventually reaches the DLQ archiver).
        archive_uri = archive_record(
            self.settings.archive_bucket or "",
            record.raw_event,
            reason=reason,
            job_id=job_id,
            archived_by="consumer",
        )
        logger.warning(
            "job failed permanently; message archived", extra={"reason": reason, "archive_uri": archive_uri}
        )
        if job_id:
            self.store.mark_failed(
                job_id,
                reason,
                {"archive_uri": archive_uri, "task": message.task if message else None},
                # Our own lease does not stop us; another invocation's live lease does.
                claim_token=claim.token if claim else None,
            )
        task = message.task if message else "unknown"
        emit_job_metrics(task=task, model_id=message.model_id if message else None, outcome="failed")
        # The input caused it: counted (an alarm watches the rate), archived, announced on the results
        # topic — but a burst of bad input must not become a page per job.
        emit_input_failure(task, kind)
        if kind == "guardrail":
            emit_guardrail_intervention(task, self._guardrail_name(task))
        if job_id:
            self._notify(
                {
                    "job_id": job_id,
                    "status": "failed",
                    "task": task,
                    "error": reason,
                    "archive_uri": archive_uri,
                }
            )
        return RecordOutcome(job_id, "failed")

    def _guardrail_name(self, task_name: str) -> str | None:
        task = self.settings.tasks.get(task_name)
        guardrail = self.settings.guardrail_for(task) if task else None
        return guardrail.name if guardrail else None

    def _release(self, job_id: str, token: str, reason: str, *, model_called: bool) -> None:
        try:
            self.store.release(job_id, token, reason, model_called=model_called)
        except Exception as exc:  # the lease then simply expires
            logger.warning("could not release job lease", extra={"error": str(exc)})

    def _retry_delay(self, record: SQSRecord, exc: Exception) -> int:
        delay = getattr(exc, "retry_after_seconds", None)
        if delay is not None:
            return int(delay)
        s = self.settings
        if isinstance(exc, SystemicError):
            # Nothing changes until someone fixes the deployment: wait as long as allowed.
            return s.retry_max_delay_seconds
        deliveries = int(receive_count(record.raw_event) or 1)
        throttled = isinstance(exc, ModelThrottledError)
        base = s.retry_throttled_base_delay_seconds if throttled else s.retry_base_delay_seconds
        return backoff_seconds(deliveries, base, s.retry_max_delay_seconds)

    def _schedule_retry(self, record: SQSRecord, exc: Exception) -> None:
        delay = self._retry_delay(record, exc)
        # The batch processor gives the rest of a FIFO message group the same delay.
        set_redelivery_delay(delay)
        logger.warning(
            "record will be retried",
            extra={"error": str(exc), "retry_in_seconds": delay, "error_type": type(exc).__name__},
        )
        delay_redelivery(record.raw_event, delay, logger)

    def _notify(self, job: dict[str, Any]) -> None:
        self._best_effort(publish_job_notice, self.settings.results_topic_arn, job)

    @staticmethod
    def _best_effort(publish: Any, *args: Any, **kwargs: Any) -> None:
        # The job's state is already recorded; a lost notice must not turn into a retried model call.
        try:
            publish(*args, **kwargs)
        except Exception as exc:
            logger.warning("notification failed", extra={"error": str(exc)})
