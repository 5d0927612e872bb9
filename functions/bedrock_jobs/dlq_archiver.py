"""Lambda handler: dead-letter queue → S3 archive + job ``failed`` + on-call page
(``bedrock_jobs.dlq_archiver.handler``).

A record is reported as a batch item failure, so it stays in the DLQ, whenever its archive object
cannot be written or the page cannot be sent: nothing leaves the DLQ unarchived or unannounced.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_jobs.archive import archive_record
from bedrock_jobs.batch import ConcurrentSqsBatchProcessor
from bedrock_jobs.config import get_settings
from bedrock_jobs.job_store import JobStore
from bedrock_jobs.messages import is_valid_job_id, job_id_hint, receive_count, string_attribute
from bedrock_jobs.notifications import page_on_call, publish_job_notice
from bedrock_jobs.observability import emit_job_metrics, local_context, logger, metrics, tracer


def _job_id(record: SQSRecord) -> str | None:
    attribute = string_attribute(record.raw_event, "job_id")
    # Validated like the body's id: an id no job can have (e.g. too long for a DynamoDB key) would make
    # every attempt fail after archiving, so the message would never leave the DLQ or page anyone.
    return attribute if is_valid_job_id(attribute) else job_id_hint(record.body)


def _reason(record: SQSRecord, job: dict[str, Any] | None) -> str:
    # The receive count travels with the message into the DLQ and includes the archiver's own receives,
    # so it is reported as what it is; ``attempts`` counts the consumer's claims of the job.
    count = receive_count(record.raw_event)
    attempts = (job or {}).get("attempts")
    reason = "dead-lettered"
    if attempts:
        reason += f" after {attempts} processing attempt{'s' if attempts != 1 else ''}"
    if count:
        reason += f" (receive count {count})"
    last_error = (job or {}).get("last_error")
    return f"{reason}; last error: {last_error}" if last_error else reason


@tracer.capture_method(capture_response=False)
def record_handler(record: SQSRecord) -> str:
    settings = get_settings()
    settings.require("archive_bucket")
    if not settings.alerts_topic_arn:
        logger.error("ALERTS_TOPIC_ARN is not set: archived failures page nobody")
    store = JobStore(settings.jobs_table, ttl_days=settings.job_ttl_days) if settings.jobs_table else None
    job_id = _job_id(record)
    job = store.get(job_id) if (store and job_id) else None
    reason = _reason(record, job)
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(message_id=record.message_id, job_id=job_id)

    archive_uri = archive_record(
        settings.archive_bucket or "",
        record.raw_event,
        reason=reason,
        job_id=job_id,
        archived_by="dlq_archiver",
    )
    marked = False
    if store and job_id:
        marked = store.mark_failed(job_id, reason, {"archive_uri": archive_uri})
    page_on_call(
        settings.alerts_topic_arn, record.raw_event, job_id=job_id, reason=reason, archive_uri=archive_uri
    )
    logger.warning(
        "dead-lettered message archived",
        extra={
            "archive_uri": archive_uri,
            "reason": reason,
            "job_marked_failed": marked,
            "job_already_complete": bool(job_id and store and not marked),
        },
    )
    if marked:
        task = (job or {}).get("task", "unknown")
        emit_job_metrics(task=task, model_id=(job or {}).get("model_id"), outcome="failed")
        try:
            publish_job_notice(
                settings.results_topic_arn,
                {
                    **(job or {}),
                    "job_id": job_id,
                    "status": "failed",
                    "error": reason,
                    "archive_uri": archive_uri,
                },
            )
        except Exception as exc:  # the page went out; a missing fan-out notice must not re-archive
            logger.warning("results notice failed", extra={"error": str(exc)})
    return archive_uri


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    batch = ConcurrentSqsBatchProcessor(max_workers=get_settings().max_concurrent_records)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=batch, context=context
    )
    archived = len(event.get("Records", [])) - len(response["batchItemFailures"])
    metrics.add_metric(name="MessagesArchived", unit=MetricUnit.Count, value=archived)
    return response


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point; also callable with no context (scripts, other services' tests)."""
    return _handle(event, context if context is not None else local_context())
