"""Lambda handler: finished Bedrock batch inference jobs → job records (``batch_collector.handler``).

Invoked by the EventBridge rule on ``aws.bedrock`` "Batch Inference Job State Change" (collects
``detail.batchJobArn`` once its status is final) and by a poll schedule (any other event), because
EventBridge delivery is best effort: the poll lists this deployment's finished jobs of the last
``BATCH_TIMEOUT_HOURS`` + 48 h and collects each one that has no ``collected.json`` marker yet.

Collecting one job: the submission manifest (found by the job's ``clientRequestToken``) names its jobs;
every ``*.jsonl.out`` of the output folder is read, in whatever order. Each job still ``processing``
under this batch job is then either
* completed from its ``modelOutput`` as the consumer completes a realtime job (result inline or in S3,
  tokens, stop reason, label fields, the results-topic notice, job metrics), with a write that requires
  ``processing`` under this very batch job, so a job finished any other way is never overwritten; or
* sent back to the realtime queue once (a record with ``error``, one missing from the output of a
  PartiallyCompleted, Stopped, Expired or Failed job, or an answer the consumer would not accept):
  first the record (``pending``, ``mode = realtime``, ``batch_fallback_from``), then the original
  message, then ``batch_fallback_sent_at``. A run that stopped between the two is finished by the next:
  a job ``pending`` from this batch job without ``batch_fallback_sent_at`` is sent again (a duplicate
  message is harmless: the consumer's claim lets one through).
The marker is written last; collecting a job again changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from bedrock_jobs import aws_clients
from bedrock_jobs.batch_inference import (
    COLLECTED_NAME,
    EXPIRED,
    FAILED,
    FINAL_STATUSES,
    STATE_CHANGE_DETAIL_TYPE,
    STATE_CHANGE_SOURCE,
    Submission,
    SubmittedJob,
    is_own_job_name,
    job_name_prefix,
    list_jobs,
    object_exists,
    output_folder,
    read_output,
    read_submission,
    send_to_realtime,
)
from bedrock_jobs.config import Settings, get_settings
from bedrock_jobs.job_processor import completion_fields
from bedrock_jobs.job_store import PENDING, PROCESSING, JobStore, utc_now
from bedrock_jobs.model_client import PERMANENT_STOP_REASONS, ModelResult
from bedrock_jobs.notifications import publish_job_notice
from bedrock_jobs.observability import emit_job_metrics, local_context, logger, metrics, tracer
from bedrock_jobs.payload_store import PayloadStore

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Jobs finish within their timeout; the poll looks two days further back for runs that failed.
POLL_EXTRA_HOURS = 48
WORKERS = 16

COMPLETED_OUTCOME, FELL_BACK, UNTOUCHED = "complete", "fell_back", "untouched"


class BatchCollector:
    def __init__(self, settings: Settings) -> None:
        settings.require("jobs_table", "queue_url", "batch_queue_url", "batch_bucket")
        self.settings = settings
        self.bucket = settings.batch_bucket or ""
        self.prefix = job_name_prefix(settings.batch_queue_url or "")
        self.store = JobStore(settings.jobs_table or "", ttl_days=settings.job_ttl_days)
        self.payloads = PayloadStore(settings.payload_bucket)
        # Tells this run's own completion writes apart from another run's (see complete_from_batch).
        self.run_token = uuid.uuid4().hex

    # -- which jobs ------------------------------------------------------------------------------
    def run(self, event: Any) -> dict[str, Any]:
        if (
            isinstance(event, dict)
            and event.get("source") == STATE_CHANGE_SOURCE
            and event.get("detail-type") == STATE_CHANGE_DETAIL_TYPE
        ):
            detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
            arn, status = detail.get("batchJobArn"), detail.get("status")
            if not isinstance(arn, str) or status not in FINAL_STATUSES:
                return {"collected": [], "ignored_status": status}
            return {"collected": [self.collect(arn)]}
        since = datetime.now(UTC) - timedelta(hours=self.settings.batch_timeout_hours + POLL_EXTRA_HOURS)
        collected = []
        for summary in list_jobs(self.prefix, FINAL_STATUSES, since):
            bucket, folder = output_folder(summary)
            if not object_exists(bucket, f"{folder}{COLLECTED_NAME}"):
                collected.append(self.collect(summary["jobArn"]))
        return {"collected": collected}

    # -- one job ---------------------------------------------------------------------------------
    @tracer.capture_method(capture_response=False)
    def collect(self, job_arn: str) -> dict[str, Any]:
        job = aws_clients.client("bedrock").get_model_invocation_job(jobIdentifier=job_arn)
        status = job.get("status")
        summary: dict[str, Any] = {"job_arn": job_arn, "status": status}
        if status not in FINAL_STATUSES or not is_own_job_name(self.prefix, job.get("jobName", "")):
            return summary | {"skipped": "not finished" if status not in FINAL_STATUSES else "not ours"}
        bucket, folder = output_folder(job)
        marker = f"{folder}{COLLECTED_NAME}"
        if object_exists(bucket, marker):
            return summary | {"skipped": "already collected"}
        submission = read_submission(self.bucket, str(job.get("clientRequestToken") or ""))
        if submission is None:
            # Nothing maps its records to jobs; they stay processing and the backlog alarm shows them.
            logger.error("batch job has no submission manifest; not collected", extra={"job_arn": job_arn})
            return summary | {"skipped": "no submission manifest"}
        output = read_output(job)
        logger.info(
            "collecting batch job",
            extra={
                "job_arn": job_arn,
                "status": status,
                "bedrock_message": job.get("message"),
                "records": len(submission.jobs),
                "output_lines": len(output.lines),
                "output_manifest": output.manifest,
            },
        )

        def one(submitted: SubmittedJob) -> str:
            return self._collect_job(
                submission, submitted, job_arn, status, output.lines.get(submitted.job_id)
            )

        jobs = submission.jobs
        if len(jobs) > 1:
            with ThreadPoolExecutor(
                max_workers=min(WORKERS, len(jobs)), thread_name_prefix="collect"
            ) as pool:
                outcomes = Counter(pool.map(one, jobs))
        else:
            outcomes = Counter(one(j) for j in jobs)
        record = {
            "job_arn": job_arn,
            "status": status,
            "collected_at": utc_now(),
            "completed": outcomes[COMPLETED_OUTCOME],
            "fell_back": outcomes[FELL_BACK],
            "untouched": outcomes[UNTOUCHED],
            "output_manifest": output.manifest,
        }
        # Last: the marker says every record of the job is settled.
        aws_clients.client("s3").put_object(
            Bucket=bucket, Key=marker, Body=json.dumps(record).encode(), ContentType="application/json"
        )
        metrics.add_metric(
            name="BatchRecordsCompleted", unit=MetricUnit.Count, value=outcomes[COMPLETED_OUTCOME]
        )
        metrics.add_metric(name="BatchRecordsFellBack", unit=MetricUnit.Count, value=outcomes[FELL_BACK])
        if status == FAILED:
            metrics.add_metric(name="BatchJobsFailed", unit=MetricUnit.Count, value=1)
        elif status == EXPIRED:
            metrics.add_metric(name="BatchJobsExpired", unit=MetricUnit.Count, value=1)
        logger.info("batch job collected", extra=record)
        return summary | {k: record[k] for k in ("completed", "fell_back", "untouched")}

    def _collect_job(
        self,
        submission: Submission,
        submitted: SubmittedJob,
        job_arn: str,
        status: str,
        line: dict[str, Any] | None,
    ) -> str:
        job = self.store.get(submitted.job_id) or {}
        if job.get("status") == PENDING and job.get("batch_fallback_from") == job_arn:
            if job.get("batch_fallback_sent_at"):
                return UNTOUCHED
            self._send_back(submitted, job_arn)  # an earlier run stopped before sending it
            return FELL_BACK
        if job.get("status") != PROCESSING or job.get("batch_job_arn") != job_arn:
            return UNTOUCHED  # finished otherwise, or never marked for this batch job
        if line is None:
            reason = f"not processed by batch job {status}"
        elif "modelOutput" not in line:
            error = line.get("error") if isinstance(line.get("error"), dict) else {}
            reason = (
                f"batch record error {error.get('errorCode', '')}: {str(error.get('errorMessage', ''))[:300]}"
            )
        else:
            reason = self._complete(submission, job, job_arn, line["modelOutput"])
            if reason is None:
                return COMPLETED_OUTCOME
            if reason == UNTOUCHED:
                return UNTOUCHED
        if not self.store.fall_back_from_batch(submitted.job_id, job_arn, reason):
            return UNTOUCHED
        self._send_back(submitted, job_arn)
        return FELL_BACK

    def _complete(
        self, submission: Submission, job: dict[str, Any], job_arn: str, model_output: Any
    ) -> str | None:
        """Complete the job from its answer; ``None`` when done, else why it goes to realtime instead."""
        job_id = str(job["job_id"])
        task = self.settings.tasks.get(str(job.get("task") or ""))
        if task is None:
            return f"unknown task {job.get('task')!r}"  # the consumer fails it with its own rules
        result = model_result(model_output, submission.model_id)
        if result is None:
            return "batch record without a Converse answer"
        if result.stop_reason in PERMANENT_STOP_REASONS:
            # The consumer fails such a job, archiving its message: it gets the chance to, once.
            return f"model stopped: {result.stop_reason}"
        fields = completion_fields(
            task,
            result,
            job.get("labels") or None,
            job_id,
            job,
            self.payloads,
            self.settings.inline_result_max_bytes,
        )
        if not self.store.complete_from_batch(job_id, job_arn, self.run_token, fields):
            return UNTOUCHED  # another run, or another path, settled it meanwhile
        emit_job_metrics(
            task=task.name,
            model_id=result.model_id,
            outcome="complete",
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
        )
        try:
            publish_job_notice(
                self.settings.results_topic_arn,
                {**job, **fields, "status": "complete", "completed_at": utc_now()},
            )
        except Exception as exc:  # the job is complete either way; a lost notice is not retried
            logger.warning("notification failed", extra={"error": str(exc), "job_id": job_id})
        return None

    def _send_back(self, submitted: SubmittedJob, job_arn: str) -> None:
        send_to_realtime(self.settings, submitted.body, submitted.attributes, submitted.job_id)
        self.store.mark_fallback_sent(submitted.job_id, job_arn)
        logger.info("batch job record sent to the realtime queue", extra={"job_id": submitted.job_id})


def model_result(model_output: Any, model_id: str) -> ModelResult | None:
    """A Converse response from a batch output line, read as ``ModelClient.converse`` reads one."""
    if not isinstance(model_output, dict):
        return None
    message = (model_output.get("output") or {}).get("message")
    if not isinstance(message, dict):
        return None
    content = message.get("content") or []
    text = "".join(block.get("text", "") for block in content if isinstance(block, dict))
    usage = model_output.get("usage") or {}
    return ModelResult(
        text=text,
        stop_reason=str(model_output.get("stopReason") or ""),
        input_tokens=int(usage.get("inputTokens", 0)),
        output_tokens=int(usage.get("outputTokens", 0)),
        latency_ms=int((model_output.get("metrics") or {}).get("latencyMs") or 0),
        model_id=model_id,
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return BatchCollector(get_settings()).run(event)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (the state-change event or the poll schedule); also callable with no context."""
    return _handle(event, context if context is not None else local_context())
