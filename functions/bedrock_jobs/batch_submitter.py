"""Lambda handler: batch queue → Bedrock batch inference jobs (``bedrock_jobs.batch_submitter.handler``).

Runs on a schedule (any event). One run:

1. counts this deployment's model invocation jobs that have not finished; at ``BATCH_MAX_JOBS_IN_FLIGHT``
   it submits nothing;
2. receives the waiting messages of the batch queue (until it is empty, ``BATCH_MAX_RECORDS`` are in
   hand, or half of the invocation's time is used), keeping them invisible for the whole run;
3. forwards to the realtime queue, unchanged, every message the consumer would refuse (unparsable,
   unknown task, model not allowed, document unreadable or empty): the consumer fails and archives it
   as it does any bad message; deletes messages whose job is already handled;
4. groups the rest by model (one batch job runs one model). A group below ``BATCH_MIN_RECORDS`` waits
   for the next run, except messages older than ``BATCH_MAX_WAIT_HOURS``, which go to the realtime
   queue. A larger group is cut into submissions of at most ``BATCH_MAX_RECORDS`` records and 1 GB;
5. per submission, with a fresh token T: tags each job (``batch_submission = T``, conditional, creating
   the record for messages sent without the producer), writes the JSONL and ``submission.json``,
   creates the job with ``clientRequestToken = T``, marks the tagged jobs ``processing`` with the
   job's ARN, and deletes their messages.

A run that stops half-way is resumed by the next one: a job still ``pending`` with a tag T' whose
``submission.json`` exists is submitted again with the same token — Bedrock returns the job already
created, so no records run twice — and one whose ``submission.json`` does not exist was never sent
anywhere: its tag is removed and it is treated as new. Only one submitter runs at a time (the
function's reserved concurrency is 1).
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from bedrock_jobs import aws_clients
from bedrock_jobs.batch_inference import (
    NOT_FINAL_STATUSES,
    SUBMISSION_MAX_BYTES,
    Submission,
    SubmittedJob,
    input_files,
    input_folder,
    job_name,
    job_name_prefix,
    list_jobs,
    model_input,
    read_submission,
    realtime_only_reason,
    record_line,
    send_to_realtime,
    sendable_attributes,
    submission_key,
)
from bedrock_jobs.config import Settings, get_settings
from bedrock_jobs.errors import PermanentJobError
from bedrock_jobs.job_processor import remaining_seconds
from bedrock_jobs.job_store import COMPLETE, FAILED, PENDING, PROCESSING, JobStore, utc_now
from bedrock_jobs.messages import JobMessage, parse_job_message
from bedrock_jobs.observability import local_context, logger, metrics, tracer
from bedrock_jobs.payload_store import PayloadStore

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Messages stay invisible this much longer than the invocation can run, so none comes back mid-run.
VISIBILITY_MARGIN_SECONDS = 30
SQS_MAX_VISIBILITY_SECONDS = 43_200
# Table writes and document reads of one submission run in parallel: 50,000 jobs one by one would
# outlast the function's timeout.
WORKERS = 16
_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass
class Waiting:
    """One message received from the batch queue and what is known of its job."""

    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, Any]
    sent_at_ms: int
    message: JobMessage | None = None
    job: dict[str, Any] | None = None
    model_id: str = ""

    @property
    def job_id(self) -> str:
        assert self.message is not None
        return self.message.job_id

    def submitted(self) -> SubmittedJob:
        return SubmittedJob(self.job_id, self.body, self.attributes)


@dataclass
class Summary:
    in_flight: int = 0
    received: int = 0
    batch_jobs: list[str] = field(default_factory=list)
    records_submitted: int = 0
    fell_back: int = 0
    # Jobs of a task with a guardrail: batch inference applies none, so they run realtime.
    realtime_only: int = 0
    forwarded_invalid: int = 0
    already_handled: int = 0
    left_waiting: int = 0
    skipped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class BatchSubmitter:
    def __init__(self, settings: Settings, lambda_context: Any | None = None) -> None:
        settings.require("jobs_table", "queue_url", "batch_queue_url", "batch_role_arn", "batch_bucket")
        self.settings = settings
        self.bucket = settings.batch_bucket or ""
        self.prefix = job_name_prefix(settings.batch_queue_url or "")
        self.store = JobStore(settings.jobs_table or "", ttl_days=settings.job_ttl_days)
        self.payloads = PayloadStore(settings.payload_bucket)
        self.context = lambda_context
        self.summary = Summary()
        # Received and not yet deleted, forwarded or made visible again: released if the run fails.
        self._unsettled: dict[str, Waiting] = {}

    @property
    def sqs(self) -> Any:
        return aws_clients.client("sqs")

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        s = self.settings
        in_flight = sum(1 for _ in list_jobs(self.prefix, NOT_FINAL_STATUSES))
        self.summary.in_flight = in_flight
        if in_flight >= s.batch_max_jobs_in_flight:
            self.summary.skipped = "batch jobs in flight at the cap (BATCH_MAX_JOBS_IN_FLIGHT)"
            logger.info(
                "batch jobs in flight at the cap; nothing submitted",
                extra={"in_flight": in_flight, "cap": s.batch_max_jobs_in_flight},
            )
            return self.summary.as_dict()
        slots = s.batch_max_jobs_in_flight - in_flight
        try:
            waiting = self._receive()
            self.summary.received = len(waiting)
            fresh, resumes = self._sort_out(waiting)
            for token, items in resumes.items():
                fresh.extend(self._resume(token, items))
            by_model: dict[str, list[Waiting]] = defaultdict(list)
            for item in fresh:
                by_model[item.model_id].append(item)
            for model_id, items in sorted(by_model.items()):
                slots = self._submit_group(model_id, items, slots)
        finally:
            # Whatever stopped the run, messages still in hand come back for the next one at once.
            self._release(list(self._unsettled.values()), "run ended")
        metrics.add_metric(
            name="BatchRecordsSubmitted", unit=MetricUnit.Count, value=self.summary.records_submitted
        )
        metrics.add_metric(name="BatchRecordsFellBack", unit=MetricUnit.Count, value=self.summary.fell_back)
        logger.info("batch submitter run done", extra=self.summary.as_dict())
        return self.summary.as_dict()

    # -- receiving -------------------------------------------------------------------------------
    def _receive(self) -> list[Waiting]:
        s = self.settings
        remaining = remaining_seconds(self.context) or 900.0
        stop_at = time.monotonic() + remaining / 2  # the other half is for submitting
        visibility = min(SQS_MAX_VISIBILITY_SECONDS, int(remaining) + VISIBILITY_MARGIN_SECONDS)
        received: list[Waiting] = []
        while len(received) < s.batch_max_records and time.monotonic() < stop_at:
            response = self.sqs.receive_message(
                QueueUrl=s.batch_queue_url,
                MaxNumberOfMessages=min(10, s.batch_max_records - len(received)),
                AttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=visibility,
                WaitTimeSeconds=0,
            )
            messages = response.get("Messages", [])
            if not messages:
                break
            for m in messages:
                item = Waiting(
                    message_id=m["MessageId"],
                    receipt_handle=m["ReceiptHandle"],
                    body=m.get("Body", ""),
                    attributes=sendable_attributes(m.get("MessageAttributes")),
                    sent_at_ms=int((m.get("Attributes") or {}).get("SentTimestamp") or time.time() * 1000),
                )
                if item.message_id not in self._unsettled:  # a message can come twice in one run
                    self._unsettled[item.message_id] = item
                    received.append(item)
        return received

    # -- sorting the messages out ----------------------------------------------------------------
    def _sort_out(self, waiting: list[Waiting]) -> tuple[list[Waiting], dict[str, list[Waiting]]]:
        """(new jobs, jobs tagged by an earlier run, by token); forwards or deletes the others."""
        valid: list[Waiting] = []
        for item in waiting:
            reason = self._parse(item)
            if reason:
                self._forward_invalid(item, reason)
            else:
                valid.append(item)
        for item, job in zip(valid, self._map(lambda w: self.store.get(w.job_id), valid), strict=True):
            item.job = job
        fresh: list[Waiting] = []
        resumes: dict[str, list[Waiting]] = defaultdict(list)
        realtime_only: dict[str, list[Waiting]] = defaultdict(list)
        handled: list[Waiting] = []
        seen: set[str] = set()
        for item in valid:
            job = item.job or {}
            status = job.get("status")
            if item.job_id in seen:
                handled.append(item)  # a second message for the same job: one record per job
            elif status in (PROCESSING, COMPLETE, FAILED) or (
                status == PENDING and job.get("mode") == "realtime"
            ):
                # In a batch job, with a consumer, finished, or already sent to the realtime queue.
                handled.append(item)
            elif status == PENDING and job.get("batch_submission"):
                resumes[str(job["batch_submission"])].append(item)
            elif reason := self._realtime_only(item):
                realtime_only[reason].append(item)
            else:
                fresh.append(item)
            seen.add(item.job_id)
        if handled:
            logger.info("messages of jobs already handled deleted", extra={"count": len(handled)})
            self.summary.already_handled += len(handled)
            self._delete(handled)
        for reason, items in realtime_only.items():
            self._to_realtime(items, reason, never_batch=True)
        return fresh, resumes

    def _realtime_only(self, item: Waiting) -> str | None:
        assert item.message is not None
        return realtime_only_reason(self.settings, self.settings.tasks[item.message.task])

    def _parse(self, item: Waiting) -> str | None:
        """Why the consumer would refuse this message, or ``None`` (the consumer's own checks)."""
        s = self.settings
        try:
            message = parse_job_message(item.body, s.default_task)
        except PermanentJobError as exc:
            return exc.reason
        task = s.tasks.get(message.task)
        if task is None:
            return f"unknown task {message.task!r}"
        if task.requires_labels and not message.labels:
            return f"task {message.task!r} needs a non-empty 'labels' list"
        if message.model_id and message.model_id not in s.permitted_model_ids:
            return "model_id is not allowed"
        model_id = message.model_id or task.model_id or s.model_id
        if not model_id:
            return "no model id: the message names none and MODEL_ID is not set"
        item.message, item.model_id = message, model_id
        return None

    # -- resuming an earlier run -----------------------------------------------------------------
    def _resume(self, token: str, items: list[Waiting]) -> list[Waiting]:
        """Finish submission ``token`` if an earlier run got as far as its manifest; else free its jobs."""
        submission = read_submission(self.bucket, token)
        if submission is not None:
            logger.info("resuming a submission an earlier run started", extra={"token": token})
            self._finish(submission, items)
            return []
        # No manifest: no batch job was created for the token, so the jobs are simply waiting again.
        freed = [
            item
            for item, ok in zip(
                items, self._map(lambda w: self.store.untag_batch(w.job_id, token), items), strict=True
            )
            if ok
        ]
        self._release([item for item in items if item not in freed], "tag changed meanwhile")
        for item in freed:
            if item.job is not None:
                item.job.pop("batch_submission", None)
        return freed

    # -- submitting ------------------------------------------------------------------------------
    def _submit_group(self, model_id: str, items: list[Waiting], slots: int) -> int:
        """Submit one model's waiting jobs in as many batch jobs as they fill; the slots left."""
        s = self.settings
        items.sort(key=lambda w: w.sent_at_ms)  # the longest-waiting jobs go first
        if len(items) < s.batch_min_records:
            self._too_few(model_id, items)
            return slots
        if slots <= 0:
            logger.info("no batch job slot left this run", extra={"model_id": model_id, "left": len(items)})
            self._release(items, "in-flight cap")
            return slots
        chunk: list[tuple[Waiting, bytes]] = []
        size = 0
        for index, item in enumerate(items):
            line = self._line(item)
            if line is None:
                continue
            full = len(chunk) >= s.batch_max_records
            if chunk and (full or size + len(line) + len(item.body) > SUBMISSION_MAX_BYTES):
                slots -= self._submit_chunk(model_id, chunk)
                chunk, size = [], 0
                if slots <= 0:
                    logger.info("no batch job slot left this run", extra={"model_id": model_id})
                    self._release(items[index:], "in-flight cap")
                    return slots
            chunk.append((item, line))
            size += len(line) + len(item.body)  # the record, and its message in submission.json
        if len(chunk) >= s.batch_min_records:
            slots -= self._submit_chunk(model_id, chunk)
        elif chunk:
            # What is left after full batch jobs: the youngest messages, handled like a small group.
            self._too_few(model_id, [item for item, _ in chunk])
        return slots

    def _line(self, item: Waiting) -> bytes | None:
        """The item's JSONL record; ``None`` when its message was forwarded or left for later instead."""
        s = self.settings
        message = item.message
        assert message is not None
        try:
            document = message.document
            if document is None:
                document = self.payloads.read_text(message.document_uri or "", max_bytes=s.max_document_bytes)
            if not document.strip():
                raise PermanentJobError("document is empty")
        except PermanentJobError as exc:
            self._forward_invalid(item, exc.reason)
            return None
        except Exception as exc:  # S3 unavailable: the job waits for the next run
            logger.warning(
                "could not read a batch job's document", extra={"error": str(exc), "job_id": item.job_id}
            )
            self._release([item], "document unreadable for now")
            return None
        task = s.tasks[message.task]
        return record_line(message.job_id, model_input(task, document, message.labels, message.job_id))

    def _submit_chunk(self, model_id: str, chunk: list[tuple[Waiting, bytes]]) -> int:
        """Tag, write, create, mark, delete; the number of batch jobs this used (0 or 1)."""
        s = self.settings
        token = uuid.uuid4().hex
        items = [item for item, _ in chunk]
        tagged_flags = self._map(
            lambda w: self.store.tag_for_batch(w.job_id, token, self._defaults(w)), items
        )
        tagged = [pair for pair, ok in zip(chunk, tagged_flags, strict=True) if ok]
        untagged = [item for (item, _), ok in zip(chunk, tagged_flags, strict=True) if not ok]
        if untagged:
            # Another sender or run changed these jobs since they were read: the next run looks again.
            self._release(untagged, "job changed meanwhile")
        if len(tagged) < s.batch_min_records:
            self._map(lambda pair: self.store.untag_batch(pair[0].job_id, token), tagged)
            self._too_few(model_id, [item for item, _ in tagged])
            return 0
        files = input_files([line for _, line in tagged])
        s3 = aws_clients.client("s3")
        for name, body in files:
            s3.put_object(
                Bucket=self.bucket,
                Key=f"{input_folder(token)}{name}",
                Body=body,
                ContentType="application/jsonl",
            )
        submission = Submission(
            token=token,
            model_id=model_id,
            job_name=job_name(self.prefix, token),
            created_at=utc_now(),
            jobs=[item.submitted() for item, _ in tagged],
            input_files=[name for name, _ in files],
        )
        # Written last: its presence tells a resumed run that the input is complete.
        s3.put_object(
            Bucket=self.bucket,
            Key=submission_key(token),
            Body=submission.to_json(),
            ContentType="application/json",
        )
        self._finish(submission, [item for item, _ in tagged])
        return 1

    def _finish(self, submission: Submission, items: list[Waiting]) -> None:
        """Create the batch job (or find the one created with this token), mark its jobs, delete."""
        s = self.settings
        token = submission.token
        try:
            # API_CreateModelInvocationJob: a request repeating a clientRequestToken returns the job
            # created with it instead of starting another.
            job_arn = aws_clients.client("bedrock").create_model_invocation_job(
                jobName=submission.job_name,
                roleArn=s.batch_role_arn,
                clientRequestToken=token,
                modelId=submission.model_id,
                modelInvocationType="Converse",
                inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{self.bucket}/{input_folder(token)}"}},
                outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{self.bucket}/batch-output/"}},
                timeoutDurationInHours=s.batch_timeout_hours,
            )["jobArn"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ValidationException":
                raise
            # Bedrock will never take this submission (model without batch support, quota): the jobs
            # run in realtime rather than wait forever.
            reason = (
                f"Bedrock refused the batch job: {exc.response.get('Error', {}).get('Message', '')[:300]}"
            )
            logger.error("batch job refused; its jobs go to the realtime queue", extra={"reason": reason})
            self._to_realtime(items, reason)
            return
        marked = self._map(
            lambda j: self.store.mark_batch_processing(j.job_id, token, job_arn), submission.jobs
        )
        self._delete(items)
        self.summary.batch_jobs.append(job_arn)
        self.summary.records_submitted += sum(marked)
        logger.info(
            "batch job submitted",
            extra={
                "job_arn": job_arn,
                "model_id": submission.model_id,
                "records": len(submission.jobs),
                "marked": sum(marked),
            },
        )

    def _defaults(self, item: Waiting) -> dict[str, Any]:
        """What a consumer claim would write on a record it creates (messages without the producer)."""
        message = item.message
        assert message is not None
        return {
            "task": message.task,
            "model_id": item.model_id,
            "labels": message.labels,
            "metadata": message.metadata,
            "correlation_id": message.correlation_id,
            "submitted_at": message.submitted_at,
            "document_uri": message.document_uri,
        }

    # -- what does not go into a batch job -------------------------------------------------------
    def _too_few(self, model_id: str, items: list[Waiting]) -> None:
        """Below BATCH_MIN_RECORDS: the messages that waited too long run in realtime, the others wait."""
        s = self.settings
        now_ms = time.time() * 1000
        max_wait_ms = s.batch_max_wait_hours * 3_600_000
        old = [w for w in items if now_ms - w.sent_at_ms >= max_wait_ms]
        young = [w for w in items if now_ms - w.sent_at_ms < max_wait_ms]
        if old:
            reason = (
                f"waited {s.batch_max_wait_hours:g} h or more in the batch queue; fewer than "
                f"BATCH_MIN_RECORDS ({s.batch_min_records}) jobs for model {model_id}"
            )
            self._to_realtime(old, reason)
        if young:
            logger.info(
                "too few jobs for a batch job yet; they wait for the next run",
                extra={"model_id": model_id, "count": len(items), "minimum": s.batch_min_records},
            )
            self._release(young, "too few records")

    def _to_realtime(self, items: list[Waiting], reason: str, *, never_batch: bool = False) -> None:
        """Send each message, as received, to the realtime queue, then record it on the job, then delete.
        ``never_batch``: jobs that could not run in batch at all (counted apart from fallbacks)."""

        def send(item: Waiting) -> None:
            send_to_realtime(self.settings, item.body, item.attributes, item.job_id)
            self.store.mark_realtime(item.job_id, reason)

        self._map(send, items)
        self._delete(items)
        if never_batch:
            self.summary.realtime_only += len(items)
        else:
            self.summary.fell_back += len(items)
        logger.info("batch jobs sent to the realtime queue", extra={"count": len(items), "reason": reason})

    def _forward_invalid(self, item: Waiting, reason: str) -> None:
        # The consumer archives and fails a bad message with its own rules, as for any sender's.
        logger.warning(
            "invalid batch message forwarded to the realtime queue", extra={"reason": reason[:300]}
        )
        send_to_realtime(self.settings, item.body, item.attributes, item.message_id)
        self._delete([item])
        self.summary.forwarded_invalid += 1

    # -- SQS -------------------------------------------------------------------------------------
    def _delete(self, items: list[Waiting]) -> None:
        for batch in _batches(items, 10):
            response = self.sqs.delete_message_batch(
                QueueUrl=self.settings.batch_queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": w.receipt_handle} for n, w in enumerate(batch)],
            )
            for w in batch:
                self._unsettled.pop(w.message_id, None)
            if response.get("Failed"):
                # They come back; the next run finds their jobs handled and deletes them then.
                logger.warning(
                    "some batch messages were not deleted", extra={"failed": len(response["Failed"])}
                )

    def _release(self, items: list[Waiting], why: str) -> None:
        """Make messages visible again at once (best effort: otherwise they return after the timeout)."""
        items = [w for w in items if w.message_id in self._unsettled]
        for batch in _batches(items, 10):
            for w in batch:
                self._unsettled.pop(w.message_id, None)
            try:
                self.sqs.change_message_visibility_batch(
                    QueueUrl=self.settings.batch_queue_url,
                    Entries=[
                        {"Id": str(n), "ReceiptHandle": w.receipt_handle, "VisibilityTimeout": 0}
                        for n, w in enumerate(batch)
                    ],
                )
            except Exception as exc:
                logger.warning(
                    "could not make batch messages visible again", extra={"error": str(exc), "why": why}
                )
        self.summary.left_waiting += len(items)

    @staticmethod
    def _map(function: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
        items = list(items)
        if len(items) <= 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(items)), thread_name_prefix="batch") as pool:
            return list(pool.map(function, items))


def _batches(items: list[_T], size: int) -> Iterable[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return BatchSubmitter(get_settings(), context).run()


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (any event: the schedule's); also callable with no context."""
    return _handle(event, context if context is not None else local_context())
