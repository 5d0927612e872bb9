"""Lambda handler: SQS main queue → Amazon Bedrock → jobs table (``bedrock_jobs.consumer.handler``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from bedrock_jobs.batch import ConcurrentSqsBatchProcessor, process_partial_response
from bedrock_jobs.config import get_settings
from bedrock_jobs.job_processor import JobProcessor, RecordOutcome
from bedrock_jobs.observability import local_context, logger, metrics, tracer

if TYPE_CHECKING:  # annotations only: these modules are not needed to run
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

_processor: JobProcessor | None = None


def _job_processor() -> JobProcessor:
    global _processor
    settings = get_settings()
    if _processor is None or _processor.settings is not settings:
        _processor = JobProcessor(settings)
    return _processor


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> RecordOutcome:
    return _job_processor().process(record, lambda_context)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    batch = ConcurrentSqsBatchProcessor(max_workers=_job_processor().settings.max_concurrent_records)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=batch, context=context
    )
    metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    metrics.add_metric(name="RecordsRetried", unit=MetricUnit.Count, value=len(response["batchItemFailures"]))
    return response


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point; also callable with no context (scripts, other services' tests)."""
    return _handle(event, context if context is not None else local_context())
