"""Bedrock batch inference (SPEC "Batch mode"), shared by the batch submitter and the batch collector.

S3 layout in ``BATCH_BUCKET``:

* ``batch-input/<token>/records-0000.jsonl`` (``-0001``… when a file would pass 1 GB): one
  ``{"recordId": <job_id>, "modelInput": <Converse request body>}`` per line;
* ``batch-input/<token>/submission.json``: the submission manifest — token, model, job name and, per
  job, its original queue message (body and attributes), so the collector can send a job back to the
  realtime queue exactly as the producer sent it. Written before the batch job is created: its
  presence is what tells a resumed submitter that a job may exist for the token;
* ``batch-output/``: the jobs' ``outputDataConfig``; Bedrock writes under ``batch-output/<job id>/``
  (the last part of the job ARN) one ``<input file>.out`` per input file and ``manifest.json.out``;
* ``batch-output/<job id>/collected.json``: written by the collector last, once every record of the
  job has been completed or sent back to the realtime queue.

The submission token is also the job's ``clientRequestToken`` (a retried create returns the same job)
and part of its name, ``<prefix>-<token[:20]>``; the prefix comes from the batch queue's name, so one
deployment's jobs are found with ``nameContains`` and told apart from another's by the exact pattern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bedrock_jobs import aws_clients
from bedrock_jobs.config import Settings
from bedrock_jobs.model_client import build_converse_request
from bedrock_jobs.tasks import TaskDefinition

INPUT_PREFIX = "batch-input/"
OUTPUT_PREFIX = "batch-output/"
SUBMISSION_NAME = "submission.json"
COLLECTED_NAME = "collected.json"
OUTPUT_MANIFEST_NAME = "manifest.json.out"
RECORDS_FILE = "records-{:04d}.jsonl"
# Bedrock's input file quota (UG "batch-inference-data"): 1 GB per file. The submitter also keeps a
# whole submission within this size, which bounds the memory it and the collector need.
FILE_MAX_BYTES = 1_000_000_000
SUBMISSION_MAX_BYTES = FILE_MAX_BYTES

# Model invocation job states (API_GetModelInvocationJob; AWS-FACTS "Bedrock batch inference").
COMPLETED, PARTIALLY_COMPLETED, FAILED, STOPPED, EXPIRED = (
    "Completed",
    "PartiallyCompleted",
    "Failed",
    "Stopped",
    "Expired",
)
FINAL_STATUSES = (COMPLETED, PARTIALLY_COMPLETED, FAILED, STOPPED, EXPIRED)
NOT_FINAL_STATUSES = ("Submitted", "Validating", "Scheduled", "InProgress", "Stopping")
STATE_CHANGE_SOURCE = "aws.bedrock"
STATE_CHANGE_DETAIL_TYPE = "Batch Inference Job State Change"

TOKEN_NAME_CHARS = 20
_JOB_NAME_MAX = 63  # CreateModelInvocationJob jobName
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9+.\-]+")


# -- names ------------------------------------------------------------------------------------------
def job_name_prefix(batch_queue_url: str) -> str:
    """This deployment's job-name prefix: the batch queue's name, in jobName's alphabet."""
    queue_name = batch_queue_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".fifo")
    prefix = _NAME_UNSAFE.sub("-", queue_name).strip("-+.") or "bedrock-jobs-batch"
    # jobName must start with a letter or digit and leave room for "-<token>".
    return prefix[: _JOB_NAME_MAX - 1 - TOKEN_NAME_CHARS].rstrip("-+.")


def job_name(prefix: str, token: str) -> str:
    return f"{prefix}-{token[:TOKEN_NAME_CHARS]}"


def is_own_job_name(prefix: str, name: str) -> bool:
    """``nameContains`` also matches other deployments whose names contain ours; this does not."""
    return re.fullmatch(rf"{re.escape(prefix)}-[0-9a-f]{{{TOKEN_NAME_CHARS}}}", name or "") is not None


def input_folder(token: str) -> str:
    return f"{INPUT_PREFIX}{token}/"


def submission_key(token: str) -> str:
    return f"{input_folder(token)}{SUBMISSION_NAME}"


def output_folder(job: dict[str, Any]) -> tuple[str, str]:
    """(bucket, key prefix) where Bedrock writes a job's output: ``<output s3Uri>/<job id>/``."""
    uri = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    base = f"{key.rstrip('/')}/" if key.strip("/") else ""
    return bucket, f"{base}{job_id_of(job['jobArn'])}/"


def job_id_of(job_arn: str) -> str:
    return job_arn.rsplit("/", 1)[-1]


# -- input records ----------------------------------------------------------------------------------
def model_input(task: TaskDefinition, document: str, labels: list[str] | None, job_id: str) -> dict[str, Any]:
    """The Converse request body of a batch record: system, messages, inferenceConfig.

    The same prompt as a realtime call; ``modelId`` is the batch job's, and ``requestMetadata`` is not
    part of a batch record (the record id leads back to the job instead). Never a ``guardrailConfig``:
    see ``realtime_only_reason``.
    """
    request = build_converse_request(task, "batch", document, labels, job_id)
    return {k: v for k, v in request.items() if k not in ("modelId", "requestMetadata")}


def realtime_only_reason(settings: Settings, task: TaskDefinition) -> str | None:
    """Why a job of ``task`` must not go into a batch inference job, or ``None`` when it may.

    A task with a guardrail: Bedrock batch inference takes no guardrail (CreateModelInvocationJob has
    no guardrail parameter, and the guardrail documentation (UG "guardrails-use") lists only
    InvokeModel/Converse, agents, knowledge bases and flows), so a batch record would reach the
    model unguarded. Such jobs run realtime, where every Converse call carries the guardrail.
    """
    guardrail = settings.guardrail_for(task)
    if guardrail is None:
        return None
    return f"task {task.name!r} has guardrail {guardrail.name}; batch inference applies no guardrail"


def record_line(job_id: str, body: dict[str, Any]) -> bytes:
    return (json.dumps({"recordId": job_id, "modelInput": body}, ensure_ascii=False) + "\n").encode("utf-8")


def input_files(lines: list[bytes]) -> list[tuple[str, bytes]]:
    """The JSONL files of one submission: ``records-0000.jsonl``, then a new file before one passes 1 GB."""
    files: list[tuple[str, bytes]] = []
    current: list[bytes] = []
    size = 0
    for line in lines:
        if current and size + len(line) > FILE_MAX_BYTES:
            files.append((RECORDS_FILE.format(len(files)), b"".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line)
    if current:
        files.append((RECORDS_FILE.format(len(files)), b"".join(current)))
    return files


# -- the submission manifest ------------------------------------------------------------------------
@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    body: str  # the queue message body, exactly as received
    attributes: dict[str, Any] = field(default_factory=dict)  # as SendMessage takes them


@dataclass(frozen=True)
class Submission:
    token: str
    model_id: str
    job_name: str
    created_at: str
    jobs: list[SubmittedJob]
    input_files: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Submission:
        data = json.loads(raw)
        jobs = [SubmittedJob(**job) for job in data.pop("jobs")]
        return cls(jobs=jobs, **data)

    def job(self, job_id: str) -> SubmittedJob | None:
        return next((j for j in self.jobs if j.job_id == job_id), None)


def read_submission(bucket: str, token: str) -> Submission | None:
    raw = read_object(bucket, submission_key(token))
    return Submission.from_json(raw) if raw is not None else None


def read_object(bucket: str, key: str) -> bytes | None:
    """An object's bytes, or ``None`` when it does not exist (any other error raises)."""
    try:
        response = aws_clients.client("s3").get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return bytes(response["Body"].read())


def object_exists(bucket: str, key: str) -> bool:
    try:
        aws_clients.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return False
        raise
    return True


# -- the realtime queue -----------------------------------------------------------------------------
def sendable_attributes(received: dict[str, Any] | None) -> dict[str, Any]:
    """ReceiveMessage's message attributes in the form SendMessage takes."""
    out: dict[str, Any] = {}
    for name, value in (received or {}).items():
        kept = {k: value[k] for k in ("DataType", "StringValue", "BinaryValue") if k in value}
        if "DataType" in kept:
            out[name] = kept
    return out


def send_to_realtime(settings: Settings, body: str, attributes: dict[str, Any], dedup_id: str) -> None:
    """Put a job's message on the realtime queue unchanged (``QUEUE_URL``).

    On a FIFO main queue the message needs a group (the job's ``metadata.message_group_id`` as the
    producer uses it, else the default) and a deduplication id (``dedup_id``: the job id, so a repeat
    within SQS's five-minute window is dropped; later ones meet the consumer's claim).
    """
    kwargs: dict[str, Any] = {"QueueUrl": settings.queue_url, "MessageBody": body}
    if attributes:
        kwargs["MessageAttributes"] = attributes
    if settings.queue_is_fifo:
        group = None
        try:
            data = json.loads(body)
            metadata = data.get("metadata") if isinstance(data, dict) else None
            group = metadata.get("message_group_id") if isinstance(metadata, dict) else None
        except ValueError:
            pass
        kwargs["MessageGroupId"] = str(group or settings.fifo_default_message_group_id)[:128]
        kwargs["MessageDeduplicationId"] = dedup_id[:128]
    aws_clients.client("sqs").send_message(**kwargs)


# -- model invocation jobs --------------------------------------------------------------------------
def list_jobs(
    prefix: str, statuses: tuple[str, ...], submit_time_after: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """This deployment's model invocation jobs in ``statuses`` (every page of ListModelInvocationJobs)."""
    bedrock = aws_clients.client("bedrock")
    for status in statuses:
        params: dict[str, Any] = {"nameContains": prefix, "statusEquals": status, "maxResults": 1000}
        if submit_time_after is not None:
            params["submitTimeAfter"] = submit_time_after
        while True:
            page = bedrock.list_model_invocation_jobs(**params)
            for summary in page.get("invocationJobSummaries", []):
                if is_own_job_name(prefix, summary.get("jobName", "")):
                    yield summary
            if not page.get("nextToken"):
                break
            params["nextToken"] = page["nextToken"]


# -- output -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobOutput:
    """A finished job's output: its lines by recordId, and Bedrock's manifest counts (for the logs)."""

    lines: dict[str, dict[str, Any]]
    manifest: dict[str, Any]
    files: list[str]


def read_output(job: dict[str, Any]) -> JobOutput:
    """Every ``*.jsonl.out`` under the job's output folder (in any order) and ``manifest.json.out``."""
    bucket, prefix = output_folder(job)
    s3 = aws_clients.client("s3")
    lines: dict[str, dict[str, Any]] = {}
    files: list[str] = []
    manifest: dict[str, Any] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith(".jsonl.out"):
                files.append(key)
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
                for text in body.splitlines():
                    if not text.strip():
                        continue
                    line = json.loads(text)
                    record_id = line.get("recordId") if isinstance(line, dict) else None
                    # A line with an answer wins over an error line for the same record, whatever the
                    # order the files are read in.
                    if isinstance(record_id, str) and (record_id not in lines or "modelOutput" in line):
                        lines[record_id] = line
            elif key.endswith(OUTPUT_MANIFEST_NAME):
                manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return JobOutput(lines, manifest if isinstance(manifest, dict) else {}, sorted(files))
