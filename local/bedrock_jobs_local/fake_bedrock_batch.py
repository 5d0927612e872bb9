"""A local stand-in for the Bedrock *control plane* batch inference API, served over real HTTP.

Clients reach it through ``AWS_ENDPOINT_URL_BEDROCK``, so botocore's rest-json serialisation and error
parsing run exactly as they would against AWS. It implements ``CreateModelInvocationJob``,
``GetModelInvocationJob``, ``ListModelInvocationJobs`` and ``StopModelInvocationJob``; the request limits
(name, ARN and S3 URI patterns, the 24-168 hour timeout, the invocation types) are read from botocore's
own service model, so the fake rejects exactly what the API documents.

A job reads every ``*.jsonl`` object under its input S3 URI, answers each ``{"recordId", "modelInput"}``
record with ``answer`` (by default the same deterministic summary/classification as the runtime fake in
``fake_bedrock``), and writes what Bedrock writes (UG "batch-inference-results",
https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-results.html): one
``<input file name>.out`` per input file under ``<output S3 URI>/<job id>/``, each line
``{"recordId", "modelInput", "modelOutput"}`` or ``{"recordId", "modelInput", "error": {"errorCode",
"errorMessage"}}``, in a shuffled order, plus ``manifest.json.out`` with the record and token counts.

Time is explicit: ``advance()`` moves every unfinished job one step (Submitted → Validating → Scheduled →
InProgress → ... → a final status) and ``run_until_done()`` steps one job to its end. With ``auto=True``
a background thread keeps advancing, for the local runner. Each status change is handed to
``on_state_change`` as the EventBridge event Bedrock publishes.

Faults (``BatchJobFaults``, for the whole fake, queued for the next jobs, or set on one job): record
errors by rate or by a marker in the document, records never processed (PartiallyCompleted), expiry and
failure after N records, and ``StopModelInvocationJob``.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session

from .fake_bedrock import _DOCUMENT, _LABELS, _QuietServer, _token_count, classify, summarize

SUBMITTED, VALIDATING, SCHEDULED, IN_PROGRESS = "Submitted", "Validating", "Scheduled", "InProgress"
COMPLETED, PARTIALLY_COMPLETED, FAILED = "Completed", "PartiallyCompleted", "Failed"
STOPPING, STOPPED, EXPIRED = "Stopping", "Stopped", "Expired"
FINAL_STATUSES = frozenset({COMPLETED, PARTIALLY_COMPLETED, FAILED, STOPPED, EXPIRED})
# StopModelInvocationJob is accepted only while the job has not ended (or is already stopping).
_STOPPABLE = frozenset({SUBMITTED, VALIDATING, SCHEDULED, IN_PROGRESS})

EVENT_SOURCE = "aws.bedrock"
EVENT_DETAIL_TYPE = "Batch Inference Job State Change"
MANIFEST_NAME = "manifest.json.out"

_JOB_PATH = re.compile(r"/model-invocation-job/([^/?]+)(/stop)?")
_ID_CHARS = string.ascii_lowercase + string.digits


def _constraints() -> dict[str, Any]:
    """Limits of the request fields, taken from botocore's Bedrock model so the fake cannot drift."""
    model = botocore.session.get_session().get_service_model("bedrock")
    create = model.operation_model("CreateModelInvocationJob").input_shape.members
    get = model.operation_model("GetModelInvocationJob").input_shape.members
    s3_in = create["inputDataConfig"].members["s3InputDataConfig"].members
    return {
        "jobName": create["jobName"].metadata,
        "roleArn": create["roleArn"].metadata,
        "clientRequestToken": create["clientRequestToken"].metadata,
        "modelId": create["modelId"].metadata,
        "s3Uri": s3_in["s3Uri"].metadata,
        "s3InputFormat": s3_in["s3InputFormat"].metadata,
        "timeoutDurationInHours": create["timeoutDurationInHours"].metadata,
        "modelInvocationType": create["modelInvocationType"].metadata,
        "jobIdentifier": get["jobIdentifier"].metadata,
        "statusEquals": model.operation_model("ListModelInvocationJobs")
        .input_shape.members["statusEquals"]
        .metadata,
    }


_LIMITS = _constraints()
# Bedrock's default when the request names none (API_CreateModelInvocationJob: 24 hours).
DEFAULT_TIMEOUT_HOURS = 24


class BedrockApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _validation(message: str) -> BedrockApiError:
    return BedrockApiError(400, "ValidationException", message)


@dataclass(frozen=True)
class BatchJobFaults:
    """What goes wrong in a job. Counts are records processed before the job ends that way."""

    #: Share of processed records whose line carries ``error`` instead of ``modelOutput``.
    record_error_rate: float = 0.0
    #: A document containing this always gets an error line.
    error_marker: str = "BATCH-RECORD-ERROR"
    #: Share of records never processed: absent from the output, and the job ends PartiallyCompleted.
    unprocessed_fraction: float = 0.0
    #: Expired after this many records (0: while Scheduled, before any output).
    expire_after_records: int | None = None
    #: Failed after this many records (0: during validation, with no output at all).
    fail_after_records: int | None = None
    fail_message: str = "Internal failure while processing the batch inference job."


@dataclass(frozen=True)
class BatchCall:
    """One request the fake received and how it answered."""

    operation: str
    status: int
    job_arn: str | None = None
    error_code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Record:
    file_name: str
    record_id: str
    model_input: Any
    result: dict[str, Any] | None = None  # the output line, once processed


@dataclass
class _Job:
    arn: str
    job_id: str
    request: dict[str, Any]
    faults: BatchJobFaults
    status: str
    submit_time: datetime
    last_modified_time: datetime
    expiration_time: datetime
    message: str | None = None
    end_time: datetime | None = None
    records: list[_Record] = field(default_factory=list)
    input_files: list[str] = field(default_factory=list)
    # Records the job will process, in order; the rest stay unprocessed (PartiallyCompleted).
    to_process: deque[_Record] = field(default_factory=deque)
    # Whether the job reached InProgress: only then does it leave output behind.
    started: bool = False
    processed_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def name(self) -> str:
        return str(self.request["jobName"])

    @property
    def processed(self) -> list[_Record]:
        return [r for r in self.records if r.result is not None]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def default_answer(model_input: dict[str, Any]) -> dict[str, Any]:
    """A Converse response for a Converse request body: the same answer the runtime fake gives."""
    prompt = document_text(model_input)
    system = "".join(b.get("text", "") for b in model_input.get("system", []) if isinstance(b, dict))
    doc_match = _DOCUMENT.search(prompt)
    document = doc_match.group(1) if doc_match else prompt
    labels_match = _LABELS.search(prompt)
    metadata = model_input.get("requestMetadata") or {}
    if labels_match or metadata.get("task") == "classify":
        labels = [x.strip() for x in (labels_match.group(1) if labels_match else "").split(",")]
        text = classify(document, [x for x in labels if x])
    else:
        text = summarize(document, max_chars=int(metadata.get("summary_chars", 280)))
    in_tokens, out_tokens = _token_count(prompt + system), _token_count(text)
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {
            "inputTokens": in_tokens,
            "outputTokens": out_tokens,
            "totalTokens": in_tokens + out_tokens,
        },
        "metrics": {"latencyMs": 0},
    }


def document_text(model_input: Any) -> str:
    """The text of a Converse request's messages (where the prompt carries the document)."""
    if not isinstance(model_input, dict):
        return ""
    return "\n".join(
        block.get("text", "")
        for message in model_input.get("messages", [])
        if isinstance(message, dict)
        for block in message.get("content", [])
        if isinstance(block, dict)
    )


def _split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


class FakeBedrockBatch:
    """Threaded HTTP server; use as a context manager or call ``start``/``stop``."""

    def __init__(
        self,
        *,
        s3_client: Any,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        answer: Callable[[dict[str, Any]], dict[str, Any]] = default_answer,
        on_state_change: Callable[[dict[str, Any]], None] | None = None,
        faults: BatchJobFaults | None = None,
        seed: int = 7,
        records_per_step: int | None = None,
        min_records_per_job: int = 0,
        max_records_per_job: int = 50_000,
        auto: bool = False,
        auto_interval_seconds: float = 0.05,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.s3 = s3_client
        self.region, self.account_id = region, account_id
        self.answer = answer
        self.on_state_change = on_state_change
        self.faults = faults or BatchJobFaults()
        # ``None`` processes all records in one step; a number lets tests stop or inspect a job mid-run.
        self.records_per_step = records_per_step
        # Real quotas are per model (commonly at least 100 records per job, at most 50,000: UG
        # "batch-inference-data"); the minimum defaults to 0 so small tests need not write 100 records.
        self.min_records_per_job, self.max_records_per_job = min_records_per_job, max_records_per_job
        self.auto, self.auto_interval_seconds = auto, auto_interval_seconds
        self.clock = clock
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._jobs: dict[str, _Job] = {}  # by job id, in creation order
        self._by_token: dict[str, str] = {}
        self._queued_faults: deque[BatchJobFaults] = deque()
        self._answered: Counter[str] = Counter()
        self.calls: list[BatchCall] = []
        #: Every event emitted, in order (also delivered to ``on_state_change``).
        self.events: list[dict[str, Any]] = []
        self._pending_events: deque[dict[str, Any]] = deque()
        self._dispatching = False
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None
        self._auto_stop = threading.Event()
        self._auto_thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeBedrockBatch:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-bedrock-batch",
            daemon=True,
        )
        self._thread.start()
        if self.auto:
            self._auto_stop.clear()
            self._auto_thread = threading.Thread(
                target=self._auto_loop, name="fake-bedrock-batch-auto", daemon=True
            )
            self._auto_thread.start()
        return self

    def stop(self) -> None:
        self._auto_stop.set()
        if self._auto_thread is not None:
            self._auto_thread.join(timeout=5)
            self._auto_thread = None
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBedrockBatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        assert self._server, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _auto_loop(self) -> None:
        while not self._auto_stop.wait(self.auto_interval_seconds):
            self.advance()

    # -- test helpers ----------------------------------------------------------------------------
    def push_job_faults(self, *faults: BatchJobFaults) -> None:
        """Faults for the next jobs created, one each, before the fake-wide default applies again."""
        with self._lock:
            self._queued_faults.extend(faults)

    def set_job_faults(self, job_identifier: str, faults: BatchJobFaults) -> None:
        """Faults for a job already created; takes effect from its next step."""
        with self._lock:
            # Records already left out (``unprocessed_fraction``) stay out once the job is InProgress.
            self._find(job_identifier).faults = faults

    def answered_by_record(self) -> Counter[str]:
        """How many times each recordId got a model answer, across all jobs."""
        with self._lock:
            return Counter(self._answered)

    def job_ids(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def status(self, job_identifier: str) -> str:
        with self._lock:
            return self._find(job_identifier).status

    def describe(self, job_identifier: str) -> dict[str, Any]:
        """The GetModelInvocationJob body for a job, without a request."""
        with self._lock:
            return self._describe(self._find(job_identifier))

    def manifest(self, job_identifier: str) -> dict[str, Any]:
        """A job's status and the counts its ``manifest.json.out`` carries (or will), without S3."""
        with self._lock:
            job = self._find(job_identifier)
            return {"jobArn": job.arn, "status": job.status, **self._counts(job)} | {
                "inputTokenCount": job.input_tokens,
                "outputTokenCount": job.output_tokens,
            }

    def advance(self, job_identifier: str | None = None) -> None:
        """Move every unfinished job (or just one) a single step forward."""
        with self._lock:
            jobs = [self._find(job_identifier)] if job_identifier else list(self._jobs.values())
            for job in jobs:
                if job.status not in FINAL_STATUSES:
                    self._step(job)
        self._dispatch_events()

    def run_until_done(self, job_identifier: str, max_steps: int = 100_000) -> dict[str, Any]:
        """Step one job until it reaches a final status; returns its GetModelInvocationJob body."""
        for _ in range(max_steps):
            with self._lock:
                job = self._find(job_identifier)
                if job.status in FINAL_STATUSES:
                    return self._describe(job)
            self.advance(job_identifier)
        raise RuntimeError(f"job {job_identifier} did not finish in {max_steps} steps")

    # -- job lifecycle ---------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock()

    def _set_status(self, job: _Job, status: str, message: str | None = None) -> None:
        now = self._now()
        job.status, job.last_modified_time = status, now
        if message is not None:
            job.message = message
        if status in FINAL_STATUSES:
            job.end_time = now
        self._pending_events.append(self._event(job))

    def _step(self, job: _Job) -> None:
        if job.status != STOPPING and self._now() >= job.expiration_time:
            # The timeout ran out: what was processed stays, the rest never will be.
            self._finish(job, EXPIRED, "The batch inference job timed out.")
            return
        if job.status == SUBMITTED:
            self._set_status(job, VALIDATING)
        elif job.status == VALIDATING:
            self._validate(job)
        elif job.status == SCHEDULED:
            if job.faults.expire_after_records == 0:
                self._finish(job, EXPIRED, "The batch inference job timed out before it started.")
            else:
                self._start_processing(job)
        elif job.status == IN_PROGRESS:
            self._process_some(job)
        elif job.status == STOPPING:
            self._finish(job, STOPPED)

    def _validate(self, job: _Job) -> None:
        if job.faults.fail_after_records == 0:
            self._finish(job, FAILED, job.faults.fail_message)
            return
        try:
            job.records, job.input_files = self._read_input(job)
        except BedrockApiError as error:
            self._finish(job, FAILED, error.message)
            return
        count = len(job.records)
        if count < self.min_records_per_job or count > self.max_records_per_job:
            self._finish(
                job,
                FAILED,
                f"The job has {count} records; this model accepts {self.min_records_per_job} to "
                f"{self.max_records_per_job} records per batch inference job.",
            )
            return
        self._set_status(job, SCHEDULED)

    def _read_input(self, job: _Job) -> tuple[list[_Record], list[str]]:
        uri = job.request["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
        bucket, key = _split_s3_uri(uri)
        if key.endswith(".jsonl"):
            keys = [key]
        else:
            # A folder: every .jsonl file in it (UG "batch-inference-data").
            prefix = key if not key or key.endswith("/") else f"{key}/"
            keys = []
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".jsonl"))
        if not keys:
            raise _validation(f"No .jsonl input files were found at {uri}.")
        records: list[_Record] = []
        for object_key in sorted(keys):
            file_name = object_key.rsplit("/", 1)[-1]
            try:
                body = self.s3.get_object(Bucket=bucket, Key=object_key)["Body"].read().decode("utf-8")
            except Exception as error:  # the role cannot read it, or it vanished
                raise _validation(f"Unable to read s3://{bucket}/{object_key}: {error}") from error
            for number, line in enumerate(body.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise _validation(f"{file_name} line {number} is not valid JSON.") from error
                if not isinstance(record, dict) or not isinstance(record.get("modelInput"), dict):
                    raise _validation(f"{file_name} line {number} has no modelInput object.")
                # Bedrock fills in a missing recordId (UG "batch-inference-data").
                record_id = str(record.get("recordId") or self._random_id(11).upper())
                records.append(_Record(file_name, record_id, record["modelInput"]))
        return records, sorted({k.rsplit("/", 1)[-1] for k in keys})

    def _start_processing(self, job: _Job) -> None:
        job.started = True
        unprocessed = round(len(job.records) * job.faults.unprocessed_fraction)
        skipped = {id(r) for r in self._rng.sample(job.records, unprocessed)} if unprocessed else set()
        job.to_process = deque(r for r in job.records if id(r) not in skipped)
        self._set_status(job, IN_PROGRESS)

    def _process_some(self, job: _Job) -> None:
        budget = self.records_per_step or len(job.to_process)
        faults = job.faults
        while job.to_process and budget > 0:
            done = job.processed_count
            if faults.expire_after_records is not None and done >= faults.expire_after_records:
                break
            if faults.fail_after_records is not None and done >= faults.fail_after_records:
                break
            self._process_record(job, job.to_process.popleft())
            budget -= 1
        done = job.processed_count
        self._write_outputs(job)
        if faults.fail_after_records is not None and done >= faults.fail_after_records:
            self._finish(job, FAILED, faults.fail_message)
        elif faults.expire_after_records is not None and done >= faults.expire_after_records:
            self._finish(job, EXPIRED, "The batch inference job timed out.")
        elif not job.to_process:
            partial = job.processed_count < len(job.records)
            self._finish(job, PARTIALLY_COMPLETED if partial else COMPLETED)

    def _process_record(self, job: _Job, record: _Record) -> None:
        faults = job.faults
        line: dict[str, Any] = {"recordId": record.record_id, "modelInput": record.model_input}
        draw = self._rng.random()
        error: tuple[int, str] | None = None
        if job.request.get("modelInvocationType") == "Converse" and "toolConfig" in record.model_input:
            # Converse batch records may not carry tools (AWS-FACTS "Bedrock batch inference").
            error = (400, "toolConfig is not supported for batch inference.")
        elif faults.error_marker and faults.error_marker in document_text(record.model_input):
            error = (400, "Malformed input request, please reformat your input and try again.")
        elif draw < faults.record_error_rate:
            error = (500, "The model encountered an internal error while processing this record.")
        else:
            try:
                output = self.answer(record.model_input)
            except Exception as exc:  # a custom answer function failing is a record error, as in Bedrock
                error = (500, f"{type(exc).__name__}: {exc}")
            else:
                usage = output.get("usage") or {}
                job.input_tokens += int(usage.get("inputTokens", 0))
                job.output_tokens += int(usage.get("outputTokens", 0))
                self._answered[record.record_id] += 1
                line["modelOutput"] = output
        if error is not None:
            line["error"] = {"errorCode": error[0], "errorMessage": error[1]}
        record.result = line
        job.processed_count += 1

    def _finish(self, job: _Job, status: str, message: str | None = None) -> None:
        if job.started:
            self._write_outputs(job)
            self._write_manifest(job)
        self._set_status(job, status, message)

    def _output_folder(self, job: _Job) -> tuple[str, str]:
        bucket, key = _split_s3_uri(job.request["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"])
        prefix = f"{key.rstrip('/')}/" if key.strip("/") else ""
        return bucket, f"{prefix}{job.job_id}/"

    def _write_outputs(self, job: _Job) -> None:
        bucket, folder = self._output_folder(job)
        for file_name in job.input_files:
            lines = [r.result for r in job.records if r.file_name == file_name and r.result is not None]
            if not lines:
                continue
            # Bedrock does not keep input order; shuffling stops consumers depending on it.
            self._rng.shuffle(lines)
            body = "".join(json.dumps(line) + "\n" for line in lines)
            self.s3.put_object(Bucket=bucket, Key=f"{folder}{file_name}.out", Body=body.encode("utf-8"))

    def _counts(self, job: _Job) -> dict[str, int]:
        processed = job.processed
        errors = sum(1 for r in processed if r.result and "error" in r.result)
        return {
            "totalRecordCount": len(job.records),
            "processedRecordCount": len(processed),
            "successRecordCount": len(processed) - errors,
            "errorRecordCount": errors,
        }

    def _write_manifest(self, job: _Job) -> None:
        bucket, folder = self._output_folder(job)
        manifest = self._counts(job) | {
            "inputTokenCount": job.input_tokens,
            "outputTokenCount": job.output_tokens,
        }
        self.s3.put_object(Bucket=bucket, Key=f"{folder}{MANIFEST_NAME}", Body=json.dumps(manifest).encode())

    # -- events ----------------------------------------------------------------------------------
    def _event(self, job: _Job) -> dict[str, Any]:
        # Shape of the sample in UG "monitoring-eventbridge-how-it-works" (tab "Batch Inference Job State
        # Change"): https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-eventbridge-how-it-works.html
        # The sample's creationTime is console-formatted ("Aug 28, 2024, 10:47:53 PM"); kept that way.
        return {
            "version": "0",
            "id": "-".join(self._random_hex(n) for n in (8, 4, 4, 4, 12)),
            "detail-type": EVENT_DETAIL_TYPE,
            "source": EVENT_SOURCE,
            "account": self.account_id,
            "time": job.last_modified_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [job.arn],
            "detail": {
                "version": "0.0",
                "accountId": self.account_id,
                "batchJobName": job.name,
                "batchJobArn": job.arn,
                "batchModelId": job.request["modelId"],
                "status": job.status,
                "failureMessage": (job.message or "") if job.status in (FAILED, EXPIRED) else "",
                "creationTime": job.submit_time.astimezone(UTC).strftime("%b %d, %Y, %I:%M:%S %p"),
            },
        }

    def _dispatch_events(self) -> None:
        """Deliver queued events in order, outside the state lock.

        Only one thread delivers at a time; the others leave their events to it, so a callback that calls
        back into the fake (a collector reading the job) cannot deadlock and events never reorder.
        """
        while True:
            with self._lock:
                if self._dispatching or not self._pending_events:
                    return
                self._dispatching = True
                event = self._pending_events.popleft()
                self.events.append(event)
            try:
                if self.on_state_change is not None:
                    self.on_state_change(event)
            finally:
                with self._lock:
                    self._dispatching = False

    # -- ids -------------------------------------------------------------------------------------
    def _random_id(self, length: int = 12) -> str:
        return "".join(self._rng.choice(_ID_CHARS) for _ in range(length))

    def _random_hex(self, length: int) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))

    def _find(self, identifier: str) -> _Job:
        job_id = identifier.rsplit("/", 1)[-1]
        job = self._jobs.get(job_id)
        if job is None or (identifier.startswith("arn:") and identifier != job.arn):
            raise BedrockApiError(404, "ResourceNotFoundException", f"Job {identifier} does not exist.")
        return job

    # -- API operations --------------------------------------------------------------------------
    def _create(self, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
        _validate_create(body)
        token = body.get("clientRequestToken")
        with self._lock:
            if token and token in self._by_token:
                # Same token: Bedrock ignores the request, answers as before (API_CreateModelInvocationJob).
                earlier = self._jobs[self._by_token[token]]
                return {"jobArn": earlier.arn}, earlier.arn
            if any(j.name == body["jobName"] for j in self._jobs.values()):
                # As CreateModelCustomizationJob does; names identify jobs in the console.
                raise _validation("The provided job name is currently in use.")
            job_id = self._random_id()
            while job_id in self._jobs:
                job_id = self._random_id()
            now = self._now()
            hours = int(body.get("timeoutDurationInHours") or DEFAULT_TIMEOUT_HOURS)
            request = dict(body)
            request.setdefault("modelInvocationType", "InvokeModel")
            request["timeoutDurationInHours"] = hours
            job = _Job(
                arn=f"arn:aws:bedrock:{self.region}:{self.account_id}:model-invocation-job/{job_id}",
                job_id=job_id,
                request=request,
                faults=self._queued_faults.popleft() if self._queued_faults else self.faults,
                status=SUBMITTED,
                submit_time=now,
                last_modified_time=now,
                expiration_time=now + timedelta(hours=hours),
            )
            self._jobs[job_id] = job
            if token:
                self._by_token[token] = job_id
            self._pending_events.append(self._event(job))
        return {"jobArn": job.arn}, job.arn

    def _describe(self, job: _Job) -> dict[str, Any]:
        request = job.request
        out: dict[str, Any] = {
            "jobArn": job.arn,
            "jobName": job.name,
            "modelId": request["modelId"],
            "roleArn": request["roleArn"],
            "status": job.status,
            "submitTime": _iso(job.submit_time),
            "lastModifiedTime": _iso(job.last_modified_time),
            "inputDataConfig": request["inputDataConfig"],
            "outputDataConfig": request["outputDataConfig"],
            "timeoutDurationInHours": request["timeoutDurationInHours"],
            "jobExpirationTime": _iso(job.expiration_time),
            "modelInvocationType": request["modelInvocationType"],
        }
        for name in ("clientRequestToken", "vpcConfig"):
            if request.get(name):
                out[name] = request[name]
        if job.message:
            out["message"] = job.message
        if job.end_time:
            out["endTime"] = _iso(job.end_time)
        if job.records:
            out |= self._counts(job)
        return out

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        status = query.get("statusEquals")
        if status is not None:
            _check_string("statusEquals", status, _LIMITS["statusEquals"])
        max_results = int(query.get("maxResults", 1000))
        if not 1 <= max_results <= 1000:
            raise _validation("Value at 'maxResults' failed to satisfy constraint: 1 to 1000.")
        after = _parse_time(query.get("submitTimeAfter"))
        before = _parse_time(query.get("submitTimeBefore"))
        with self._lock:
            jobs = [
                j
                for j in self._jobs.values()
                if (status is None or j.status == status)
                and (not query.get("nameContains") or query["nameContains"] in j.name)
                and (after is None or j.submit_time > after)
                and (before is None or j.submit_time < before)
            ]
            # Creation order breaks ties between jobs submitted in the same instant.
            if query.get("sortOrder", "Descending") == "Descending":
                jobs.reverse()
            start = 0
            if query.get("nextToken"):
                try:
                    start = int(base64.urlsafe_b64decode(query["nextToken"]).decode())
                except ValueError as error:
                    raise _validation("The nextToken is not valid.") from error
            page = jobs[start : start + max_results]
            out: dict[str, Any] = {"invocationJobSummaries": [self._describe(j) for j in page]}
        if start + max_results < len(jobs):
            out["nextToken"] = base64.urlsafe_b64encode(str(start + max_results).encode()).decode()
        return out

    def _stop(self, identifier: str) -> str:
        with self._lock:
            job = self._find(identifier)
            if job.status == STOPPING:
                return job.arn
            if job.status not in _STOPPABLE:
                raise _validation(f"The job {job.arn} is in status {job.status} and cannot be stopped.")
            self._set_status(job, STOPPING)
            return job.arn

    # -- HTTP ------------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        operation, job_arn, status, error_code = "Unknown", None, 200, None
        params: dict[str, Any] = {}
        try:
            match = _JOB_PATH.fullmatch(parts.path)
            if method == "POST" and parts.path == "/model-invocation-job":
                operation = "CreateModelInvocationJob"
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError as error:
                    raise _validation("The request body is not JSON.") from error
                if not isinstance(body, dict):
                    raise _validation("The request body must be a JSON object.")
                params = body
                payload, job_arn = self._create(body)
            elif method == "GET" and parts.path == "/model-invocation-jobs":
                operation, params = "ListModelInvocationJobs", query
                payload = self._list(query)
            elif match and method == "GET" and not match.group(2):
                operation = "GetModelInvocationJob"
                identifier = _checked_identifier(unquote(match.group(1)))
                params = {"jobIdentifier": identifier}
                with self._lock:
                    job = self._find(identifier)
                    job_arn, payload = job.arn, self._describe(job)
            elif match and method == "POST" and match.group(2):
                operation = "StopModelInvocationJob"
                identifier = _checked_identifier(unquote(match.group(1)))
                params = {"jobIdentifier": identifier}
                job_arn, payload = self._stop(identifier), {}
            else:
                raise BedrockApiError(404, "UnknownOperationException", f"unknown path {method} {parts.path}")
        except BedrockApiError as error:
            status, error_code = error.status, error.code
            payload = {"message": error.message}
        except Exception as error:  # a bug in the fake (or S3 down) must still reach the caller as a 500
            status, error_code = 500, "InternalServerException"
            payload = {"message": f"{type(error).__name__}: {error}"}
        with self._lock:
            self.calls.append(BatchCall(operation, status, job_arn, error_code, dict(params)))
        # Before the reply, so a caller sees the events its request caused as soon as it returns.
        self._dispatch_events()
        self._send(request, status, payload, error_code)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], error_type: str | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            if error_type:
                request.send_header("x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/")
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.fromtimestamp(float(value), UTC)
        except ValueError as error:
            raise _validation(f"'{value}' is not a timestamp.") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_string(path: str, value: Any, limits: dict[str, Any]) -> None:
    """Check one string as AWS does, with its message format ("1 validation error detected: ...")."""
    prefix = f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: "
    if not isinstance(value, str):
        raise _validation(f"{prefix}Member must be a string")
    if len(value) < limits.get("min", 0) or len(value) > limits.get("max", len(value)):
        raise _validation(
            f"{prefix}Member must have length between {limits.get('min', 0)} and {limits.get('max')}"
        )
    if "pattern" in limits and not re.fullmatch(limits["pattern"], value):
        raise _validation(f"{prefix}Member must satisfy regular expression pattern: {limits['pattern']}")
    if "enum" in limits and value not in limits["enum"]:
        raise _validation(f"{prefix}Member must satisfy enum value set: [{', '.join(limits['enum'])}]")


def _checked_identifier(identifier: str) -> str:
    _check_string("jobIdentifier", identifier, _LIMITS["jobIdentifier"])
    return identifier


def _validate_create(body: dict[str, Any]) -> None:
    for name in ("jobName", "roleArn", "modelId", "inputDataConfig", "outputDataConfig"):
        if body.get(name) in (None, "", {}):
            raise _validation(
                f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: "
                "Member must not be null"
            )
    _check_string("jobName", body["jobName"], _LIMITS["jobName"])
    _check_string("roleArn", body["roleArn"], _LIMITS["roleArn"])
    _check_string("modelId", body["modelId"], _LIMITS["modelId"])
    if "clientRequestToken" in body:
        _check_string("clientRequestToken", body["clientRequestToken"], _LIMITS["clientRequestToken"])
    if "modelInvocationType" in body:
        _check_string("modelInvocationType", body["modelInvocationType"], _LIMITS["modelInvocationType"])
    s3_in = (body["inputDataConfig"] or {}).get("s3InputDataConfig") or {}
    s3_out = (body["outputDataConfig"] or {}).get("s3OutputDataConfig") or {}
    _check_string("inputDataConfig.s3InputDataConfig.s3Uri", s3_in.get("s3Uri"), _LIMITS["s3Uri"])
    if "s3InputFormat" in s3_in:
        _check_string(
            "inputDataConfig.s3InputDataConfig.s3InputFormat",
            s3_in["s3InputFormat"],
            _LIMITS["s3InputFormat"],
        )
    _check_string("outputDataConfig.s3OutputDataConfig.s3Uri", s3_out.get("s3Uri"), _LIMITS["s3Uri"])
    if "timeoutDurationInHours" in body:
        hours, limits = body["timeoutDurationInHours"], _LIMITS["timeoutDurationInHours"]
        if not isinstance(hours, int) or not limits["min"] <= hours <= limits["max"]:
            raise _validation(
                f"1 validation error detected: Value '{hours}' at 'timeoutDurationInHours' failed to satisfy "
                f"constraint: Member must have value between {limits['min']} and {limits['max']}"
            )


def records_from_output(bodies: Iterable[bytes]) -> list[dict[str, Any]]:
    """Parse ``.jsonl.out`` bodies back into lines (a convenience for tests and the local runner)."""
    return [json.loads(line) for body in bodies for line in body.decode("utf-8").splitlines() if line.strip()]


__all__ = [
    "COMPLETED",
    "EXPIRED",
    "FAILED",
    "FINAL_STATUSES",
    "IN_PROGRESS",
    "PARTIALLY_COMPLETED",
    "STOPPED",
    "STOPPING",
    "BatchCall",
    "BatchJobFaults",
    "FakeBedrockBatch",
    "default_answer",
    "records_from_output",
]
