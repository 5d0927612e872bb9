"""Lambda handler: dead-letter queue → S3 archive + job ``failed`` + one on-call alert per invocation
(``bedrock_jobs.dlq_archiver.handler``).

Every dead-lettered record ends one of these ways:

* **requeued**: its job was never attempted (no job record, or ``pending`` with no counted claim), so
  batch mechanics, not the job, put it here (a FIFO group handed back after its head failed, an
  invocation out of time). It goes back to the main queue with the same body, group and attributes
  plus a requeue counter, at most ``ARCHIVER_MAX_REQUEUES`` times; past that it is failed like any
  other dead letter. No job ends ``failed`` without a model attempt for these reasons alone. A job
  whose model answer an earlier delivery saved (but could not store) is sent back the same way, so
  the consumer finishes it from that answer instead of the answer being thrown away.
* **deferred**: its job is ``processing`` under a live lease (a duplicate dead-lettered while the
  original works). The message is archived, the job left alone, and the record handed back with its
  visibility set to the end of the lease, when it is looked at again.
* **acknowledged**: its job is ``complete`` (a late duplicate): archived, nobody paged.
* **failed**: everything else: archived, the job marked ``failed``, and listed in the invocation's one
  alert.

A record is reported as a batch item failure, so it stays in the DLQ, whenever its archive object
cannot be written, and every record the alert lists is reported failed when the alert cannot be
published: nothing leaves the DLQ unarchived or unannounced.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from bedrock_jobs import aws_clients
from bedrock_jobs.archive import archive_record
from bedrock_jobs.batch import ConcurrentSqsBatchProcessor, delay_redelivery, process_partial_response
from bedrock_jobs.config import Settings, get_settings
from bedrock_jobs.job_store import COMPLETE, PENDING, PROCESSING, JobStore, lease_seconds_left
from bedrock_jobs.messages import is_valid_job_id, job_id_hint, receive_count, string_attribute
from bedrock_jobs.notifications import page_archived_failures, publish_job_notice
from bedrock_jobs.observability import emit_job_metrics, local_context, logger, metrics, tracer
from bedrock_jobs.payload_store import PayloadStore

if TYPE_CHECKING:  # annotations only: these modules are not needed to run
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Message attribute counting how often the archiver sent a message back to the main queue.
REQUEUE_ATTRIBUTE = "bedrock_jobs_requeues"
# SQS takes at most 10 message attributes per message.
_MAX_MESSAGE_ATTRIBUTES = 10
# Errors that say the message itself cannot be sent again (as opposed to SQS being unavailable or the
# deployment being broken, which keep the record in the DLQ until fixed).
_UNSENDABLE = frozenset(
    {
        "InvalidParameterValue",
        "InvalidMessageContents",
        "InvalidAttributeName",
        "InvalidAttributeValue",
        "MessageTooLong",
    }
)
# Looked at again this long after the lease ends, so the lease-holder's last writes have landed.
LEASE_MARGIN_SECONDS = 10
_MAX_VISIBILITY_SECONDS = 43_200


class _LeaseHeld(Exception):
    """The job is being processed under a live lease; the record is handed back until it ends."""


@dataclass
class Disposition:
    """What happened to one dead-lettered record (see the module docstring)."""

    outcome: str  # requeued | acknowledged | failed (a deferred record raises instead)
    message_id: str
    job_id: str | None = None
    reason: str | None = None
    archive_uri: str | None = None
    receive_count: str | None = None
    source_queue: str | None = None
    # The job as the archiver failed it: its "job failed" notice goes out once the alert is sent.
    failed_job: dict[str, Any] | None = field(default=None, repr=False)

    def alert_entry(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "job_id": self.job_id,
            "reason": self.reason,
            "archive_uri": self.archive_uri,
            "receive_count": self.receive_count,
            "source_queue": self.source_queue,
        }


def _job_id(record: SQSRecord) -> str | None:
    attribute = string_attribute(record.raw_event, "job_id")
    # Validated like the body's id: an id no job can have (e.g. too long for a DynamoDB key) would make
    # every attempt fail after archiving, so the message would never leave the DLQ or page anyone.
    return attribute if is_valid_job_id(attribute) else job_id_hint(record.body)


def _requeues(record: SQSRecord) -> int:
    # A Number attribute arrives as its string form; anything unreadable counts as no requeue yet, and
    # the count written back is then 1, so the bound still holds.
    try:
        return max(0, int(string_attribute(record.raw_event, REQUEUE_ATTRIBUTE) or 0))
    except ValueError:
        return 0


def _reason(record: SQSRecord, job: dict[str, Any] | None, requeues: int) -> str:
    # The receive count travels with the message into the DLQ and includes the archiver's own receives,
    # so it is reported as what it is; ``attempts`` counts the consumer's claims of the job.
    count = receive_count(record.raw_event)
    attempts = (job or {}).get("attempts")
    reason = "dead-lettered"
    if attempts:
        reason += f" after {attempts} processing attempt{'s' if attempts != 1 else ''}"
    if count:
        reason += f" (receive count {count})"
    if requeues:
        reason += f"; requeued {requeues} time{'s' if requeues != 1 else ''} without a model attempt"
    last_error = (job or {}).get("last_error")
    return f"{reason}; last error: {last_error}" if last_error else reason


def _no_known_model_attempt(job: dict[str, Any] | None) -> bool:
    """No invocation is known to have called the model for this job.

    Invocations that called it and failed count in ``model_attempts`` (a throttled or failing model is
    the job's own trouble). Others ran out of receives without ever trying: untried FIFO tails, claims
    given back, and holders that crashed or timed out (their leases made the redeliveries wait). A
    crashed holder may have called the model before it died; asking again is the one extra call per
    crashed invocation the guarantee allows, and the requeues are bounded.
    """
    if job is None:
        return True
    unfinished = job.get("status") == PENDING or (
        job.get("status") == PROCESSING and lease_seconds_left(job) is None
    )
    return unfinished and not job.get("model_attempts")


def _has_saved_answer(settings: Settings, job_id: str, job: dict[str, Any] | None) -> bool:
    """The model answered an earlier delivery, which saved the answer but could not store the job.

    Sent back, the consumer finishes the job from the saved answer without calling the model again;
    failing it would throw a paid-for answer away.
    """
    if not job or job.get("status") not in (PENDING, PROCESSING) or lease_seconds_left(job) is not None:
        return False
    try:
        return PayloadStore(settings.payload_bucket).saved_model_answer(job_id) is not None
    except Exception as exc:  # unsure: fail the job as before rather than keep the record in the DLQ
        logger.warning("could not look for a saved model answer", extra={"error": str(exc)})
        return False


def _sendable_attributes(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The record's message attributes as SendMessage takes them (Lambda spells them differently)."""
    attributes: dict[str, dict[str, Any]] = {}
    for name, value in (record.get("messageAttributes") or {}).items():
        data_type = value.get("dataType") or value.get("DataType")
        if not data_type:
            continue
        if value.get("stringValue") is not None:
            attributes[name] = {"DataType": data_type, "StringValue": value["stringValue"]}
        elif value.get("binaryValue") is not None:
            binary = value["binaryValue"]
            attributes[name] = {
                "DataType": data_type,
                "BinaryValue": base64.b64decode(binary) if isinstance(binary, str) else binary,
            }
    return attributes


def _requeue(settings: Settings, record: SQSRecord, requeues: int) -> bool:
    """Send the record back to the main queue with its requeue count raised; ``False`` if it cannot be."""
    raw = record.raw_event
    attributes = _sendable_attributes(raw)
    attributes[REQUEUE_ATTRIBUTE] = {"DataType": "Number", "StringValue": str(requeues + 1)}
    if len(attributes) > _MAX_MESSAGE_ATTRIBUTES:
        logger.warning("cannot requeue: the message already has SQS's maximum of 10 attributes")
        return False
    options: dict[str, Any] = {}
    if settings.queue_is_fifo:
        group = (raw.get("attributes") or {}).get("MessageGroupId")
        if not group:
            logger.warning("cannot requeue to the FIFO queue: the record carries no MessageGroupId")
            return False
        options["MessageGroupId"] = group
        # Fresh for each requeue, the same for a retry of this one (SQS drops that duplicate).
        options["MessageDeduplicationId"] = f"requeue-{requeues + 1}-{record.message_id}"[:128]
    try:
        aws_clients.client("sqs").send_message(
            QueueUrl=settings.queue_url, MessageBody=record.body, MessageAttributes=attributes, **options
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _UNSENDABLE:
            logger.warning("cannot requeue: SQS refused the message", extra={"error": str(exc)})
            return False
        raise
    return True


def _defer(record: SQSRecord, seconds_left: float) -> None:
    delay = min(_MAX_VISIBILITY_SECONDS, math.ceil(seconds_left) + LEASE_MARGIN_SECONDS)
    logger.info("job is under a live lease; looked at again when it ends", extra={"retry_in_seconds": delay})
    delay_redelivery(record.raw_event, delay, logger)
    raise _LeaseHeld(f"job is being processed; lease ends in {seconds_left:.0f} s")


@tracer.capture_method(capture_response=False)
def record_handler(record: SQSRecord) -> Disposition:
    settings = get_settings()
    settings.require("archive_bucket")
    store = JobStore(settings.jobs_table, ttl_days=settings.job_ttl_days) if settings.jobs_table else None
    job_id = _job_id(record)
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(message_id=record.message_id, job_id=job_id)
    job = store.get(job_id) if (store and job_id) else None
    requeues = _requeues(record)
    disposition = Disposition(
        "failed",
        record.message_id,
        job_id,
        receive_count=receive_count(record.raw_event),
        source_queue=record.raw_event.get("eventSourceARN"),
    )

    why_requeue = None
    if store and job_id:
        if _no_known_model_attempt(job):
            why_requeue = "has no known model attempt"
        elif _has_saved_answer(settings, job_id, job):
            why_requeue = "has a saved model answer"
    if why_requeue:
        if not settings.queue_url:
            logger.error("QUEUE_URL is not set: the job cannot be requeued and is failed")
        elif requeues < settings.archiver_max_requeues and _requeue(settings, record, requeues):
            logger.warning(
                f"dead-lettered job {why_requeue}; sent back to the main queue",
                extra={"requeues": requeues + 1, "max_requeues": settings.archiver_max_requeues},
            )
            disposition.outcome = "requeued"
            return disposition

    disposition.reason = _reason(record, job, requeues)
    seconds_left = lease_seconds_left(job) if job else None
    if job and job.get("status") == COMPLETE:
        disposition.reason += "; the job is complete and keeps its result"
    elif seconds_left is not None:
        disposition.reason += "; the job is being processed under a live lease and is left to it"
    disposition.archive_uri = archive_record(
        settings.archive_bucket or "",
        record.raw_event,
        reason=disposition.reason,
        job_id=job_id,
        archived_by="dlq_archiver",
    )
    if job and job.get("status") == COMPLETE:
        disposition.outcome = "acknowledged"
    elif seconds_left is not None:
        _defer(record, seconds_left)
    elif store and job_id:
        extra = {"archive_uri": disposition.archive_uri}
        refused = store.fail_unless_busy(job_id, disposition.reason, extra)
        if refused is None:
            disposition.failed_job = {
                **(job or {}),
                "job_id": job_id,
                "status": "failed",
                "error": disposition.reason,
                "archive_uri": disposition.archive_uri,
            }
        elif refused.get("status") == COMPLETE:
            disposition.outcome = "acknowledged"
        elif (seconds_left := lease_seconds_left(refused)) is not None:
            _defer(record, seconds_left)  # claimed again since we read it
        else:
            raise RuntimeError(f"job {job_id} could not be marked failed (status {refused.get('status')})")
    logger.warning(
        "dead-lettered message archived",
        extra={
            "archive_uri": disposition.archive_uri,
            "reason": disposition.reason,
            "outcome": disposition.outcome,
            "job_marked_failed": disposition.failed_job is not None,
        },
    )
    return disposition


def _announce(settings: Settings, dispositions: list[Disposition]) -> set[str]:
    """Publish the invocation's one alert and the failed jobs' notices; the message ids left unannounced."""
    failed = [d for d in dispositions if d.outcome == "failed"]
    if not failed:
        return set()
    if not settings.alerts_topic_arn:
        logger.error("ALERTS_TOPIC_ARN is not set: archived failures page nobody")
    else:
        try:
            page_archived_failures(settings.alerts_topic_arn, [d.alert_entry() for d in failed])
        except Exception as exc:
            logger.exception("alert not published; its messages stay in the DLQ", extra={"error": str(exc)})
            return {d.message_id for d in failed}
    for d in failed:
        if d.failed_job is None:
            continue
        emit_job_metrics(
            task=d.failed_job.get("task", "unknown"), model_id=d.failed_job.get("model_id"), outcome="failed"
        )
        try:
            publish_job_notice(settings.results_topic_arn, d.failed_job)
        except Exception as exc:  # the page went out; a missing fan-out notice must not re-archive
            logger.warning("results notice failed", extra={"error": str(exc), "job_id": d.job_id})
    return set()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    dispositions: list[Disposition] = []  # appended from the batch's worker threads

    def handle_record(record: SQSRecord) -> Disposition:
        disposition = record_handler(record)
        dispositions.append(disposition)
        return disposition

    batch = ConcurrentSqsBatchProcessor(max_workers=settings.max_concurrent_records)
    response = process_partial_response(
        event=event, record_handler=handle_record, processor=batch, context=context
    )
    unannounced = _announce(settings, dispositions)
    if unannounced:
        response["batchItemFailures"] += [
            {"itemIdentifier": message_id} for message_id in sorted(unannounced)
        ]
    done = [d for d in dispositions if d.message_id not in unannounced]
    archived = sum(d.outcome in ("failed", "acknowledged") for d in done)
    metrics.add_metric(name="MessagesArchived", unit=MetricUnit.Count, value=archived)
    requeued = sum(d.outcome == "requeued" for d in done)
    metrics.add_metric(name="MessagesRequeued", unit=MetricUnit.Count, value=requeued)
    deferred = sum(isinstance(exc_info[1], _LeaseHeld) for exc_info in batch.exceptions)
    metrics.add_metric(name="MessagesDeferred", unit=MetricUnit.Count, value=deferred)
    return response


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point; also callable with no context (scripts, other services' tests)."""
    return _handle(event, context if context is not None else local_context())
