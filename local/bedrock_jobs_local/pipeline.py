"""The whole deployment on this machine: embedded AWS, the model, the three real handlers and their mappings.

``Pipeline`` is what ``run.py`` drives and what the end-to-end tests use:
- moto holds the module's resources (``embedded_aws``);
- the model is the local Converse stand-in (``fake_bedrock``) or, with ``bedrock=True``, Amazon Bedrock;
- each function runs in process-isolated execution environments (``lambda_runtime``) with the
  environment variables the module gives it, so ``bedrock_jobs`` reads them unchanged;
- the producer is invoked with API Gateway HTTP API events, the consumer and the archiver by
  ``SqsEventSourceMapping`` pollers on the main queue and the DLQ;
- with ``batch`` (the module's ``batch_enabled``), the batch queue, the fake Bedrock control plane and the
  batch submitter and collector, driven by their schedules and the state-change rule (``batch_path``).

Execution environments are processes, so a script that starts a ``Pipeline`` needs the usual
``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import api_events
from .batch_path import BatchPath, BatchPathConfig
from .embedded_aws import EmbeddedAws, Resources, queue_depth
from .event_source_mapping import BatchOutcome, SqsEventSourceMapping
from .fake_bedrock import FakeBedrock, FakeBedrockConfig
from .lambda_context import ACCOUNT_ID
from .lambda_runtime import ProcessLambdaFunction, start_environment_server
from .settings import LocalSettings

#: Fields a POST /jobs body may carry (SPEC: producer HTTP API).
JOB_FIELDS = ("task", "document", "labels", "model_id", "metadata", "idempotency_key", "mode")
LOCAL_MODEL_ID = "local.converse-stand-in-v1"

#: Variables that would send clients to real AWS or change who they are; cleared for a local-model run.
_REAL_AWS_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")
#: Services the handlers use besides Bedrock. STS and SSO are deliberately absent: with --bedrock, credential
#: providers must still reach AWS.
_MOTO_SERVICES = ("SQS", "DYNAMODB", "S3", "SNS")
#: Who signs the calls of each function and of the event source mappings (local model only). moto puts
#: every key in the same account; the embedded AWS's fault rules can then target one caller and leave
#: the runner's own reads (key "testing") alone.
FUNCTION_ACCESS_KEYS = {
    "producer": "LOCALPRODUCER",
    "consumer": "LOCALCONSUMER",
    "dlq-archiver": "LOCALARCHIVER",
    "batch-submitter": "LOCALBATCHSUBMITTER",
    "batch-collector": "LOCALBATCHCOLLECTOR",
}
MAPPING_ACCESS_KEY = "LOCALEVENTSOURCEMAPPING"


@dataclass(frozen=True)
class Submission:
    """The producer's answer to one POST /jobs."""

    index: int
    job_id: str | None
    status_code: int
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status_code == 202 and self.job_id is not None


class Pipeline:
    def __init__(
        self,
        settings: LocalSettings,
        *,
        name: str = "bedrock-jobs-local",
        region: str = "us-east-1",
        bedrock: bool = False,
        model_id: str | None = None,
        fake_config: FakeBedrockConfig | None = None,
        aws_mode: str = "thread",
        log_path: str = os.devnull,
        function_setup: Mapping[str, tuple[str, ...]] | None = None,
        batch: BatchPathConfig | None = None,
        function_environment: Mapping[str, str] | None = None,
    ) -> None:
        if batch is not None and bedrock:
            # Bedrock's batch jobs read and write real S3; the run's buckets live in the embedded AWS.
            raise ValueError("batch mode runs on the local model only (not with --bedrock)")
        self.settings = settings
        self.name = name
        self.region = region
        self.bedrock = bedrock
        self.model_id = model_id or (None if bedrock else LOCAL_MODEL_ID)
        if bedrock and not self.model_id:
            raise ValueError("--bedrock needs a model id (MODEL_ID or --model-id)")
        self.fake_config = fake_config or FakeBedrockConfig()
        self.aws = EmbeddedAws(region=region, mode=aws_mode)
        self.fake: FakeBedrock | None = None
        self.resources: Resources | None = None
        self.log_path = log_path
        self.consumer_mapping: SqsEventSourceMapping | None = None
        self.archiver_mapping: SqsEventSourceMapping | None = None
        self.producer: ProcessLambdaFunction | None = None
        self.consumer: ProcessLambdaFunction | None = None
        self.archiver: ProcessLambdaFunction | None = None
        self.batch_config = batch
        # Module settings beyond the defaults (a guardrail, say), as terraform would set them.
        self.extra_environment = dict(function_environment or {})
        self.batch: BatchPath | None = None
        self.batch_queue_url: str | None = None
        self.batch_dlq_url: str | None = None
        self.batch_submitter: ProcessLambdaFunction | None = None
        self.batch_collector: ProcessLambdaFunction | None = None
        self.dead_lettered: set[str] = set()
        self.module_environment: dict[str, str] = {}
        self._observers: list[Any] = []
        # Harness-only code run in each new environment of a function ("producer", "consumer", …).
        self.function_setup = dict(function_setup or {})

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, *, poll: bool = True) -> Pipeline:
        """Deploy and start the functions; ``poll=False`` leaves the event source mappings and the batch
        schedules off until ``start_polling`` (a plan run fills the queue first)."""
        try:
            self._start()
            if poll:
                self.start_polling()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        start_environment_server()
        self.aws.start()
        self.resources = self.aws.create_resources(self.name, self.settings.queues)
        if self.bedrock:
            bedrock_endpoint = f"https://bedrock-runtime.{self.region}.amazonaws.com"
        else:
            if self.fake_config.timeout_seconds <= self.settings.bedrock_read_timeout_seconds:
                # An injected "timeout" must outlast the client's read timeout to be one.
                self.fake_config.timeout_seconds = self.settings.bedrock_read_timeout_seconds + 1.0
            self.fake = FakeBedrock(self.fake_config).start()
            bedrock_endpoint = self.fake.endpoint_url
        if self.batch_config is not None:
            m = self.settings.module
            self.batch_queue_url, self.batch_dlq_url = self.aws.create_batch_queue(
                self.name,
                self.settings.batch_queue_visibility_timeout,
                m.batch_queue_message_retention_seconds,
            )
            self.batch = BatchPath(
                self.batch_config,
                s3_client=self.aws.client("s3"),
                region=self.region,
                account_id=ACCOUNT_ID,
                seed=self.fake_config.seed,
            ).start()
        environment = self.function_environment(bedrock_endpoint)
        m = self.settings.module

        def function(suffix: str, handler: str, timeout: int, memory: int) -> ProcessLambdaFunction:
            own = dict(environment)
            if not self.bedrock:
                own["AWS_ACCESS_KEY_ID"] = FUNCTION_ACCESS_KEYS[suffix]
            return ProcessLambdaFunction(
                f"{self.name}-{suffix}",
                handler,
                timeout,
                memory,
                self.region,
                own,
                self.log_path,
                setup=tuple(self.function_setup.get(suffix, ())),
            )

        self.producer = function(
            "producer", "bedrock_jobs.producer.handler", m.producer_timeout, m.producer_memory_size
        )
        self.consumer = function(
            "consumer", "bedrock_jobs.consumer.handler", m.consumer_timeout, m.consumer_memory_size
        )
        self.archiver = function(
            "dlq-archiver", "bedrock_jobs.dlq_archiver.handler", m.archiver_timeout, m.archiver_memory_size
        )
        if self.batch is not None:
            self.batch_submitter = function(
                "batch-submitter",
                "bedrock_jobs.batch_submitter.handler",
                m.batch_submitter_timeout,
                m.batch_submitter_memory_size,
            )
            self.batch_collector = function(
                "batch-collector",
                "bedrock_jobs.batch_collector.handler",
                m.batch_collector_timeout,
                m.batch_collector_memory_size,
            )
        r = self.resources
        # The mappings delete what their functions processed, as Lambda's pollers do on the function's
        # behalf: signed as their own caller, so a chaos run can fail those deletes too.
        mapping_key = None if self.bedrock else MAPPING_ACCESS_KEY
        sqs = self.aws.client("sqs", access_key_id=mapping_key, total_max_attempts=3)
        self.consumer_mapping = SqsEventSourceMapping(
            sqs,
            r.queue_url,
            r.queue_arn,
            self.consumer,
            self.settings.consumer_mapping,
            self.region,
            on_batch=self._observe,
        )
        self.archiver_mapping = SqsEventSourceMapping(
            sqs,
            r.dlq_url,
            r.dlq_arn,
            self.archiver,
            self.settings.archiver_mapping,
            self.region,
            dead_letter_source_arn=r.queue_arn,
            on_batch=self._observe_dlq,
        )

    def start_polling(self) -> None:
        """Start (or, after ``stop_mappings``, restart) the mappings and the batch schedules."""
        for mapping in (self.consumer_mapping, self.archiver_mapping):
            if mapping is not None:
                mapping.start()
        if self.batch is not None and self.batch_submitter and self.batch_collector:
            self.batch.drive(self.batch_submitter, self.batch_collector)

    def stop_mappings(self) -> None:
        """Stop polling; in-flight invocations finish first, so nothing received is abandoned."""
        if self.batch is not None:
            self.batch.stop_driving()
        for mapping in (self.consumer_mapping, self.archiver_mapping):
            if mapping is not None:
                mapping.stop()

    def stop(self) -> None:
        self.stop_mappings()
        for function in self._functions().values():
            if function is not None:
                function.close()
        if self.batch is not None:
            self.batch.stop()
        if self.fake is not None:
            self.fake.stop()
        self.aws.stop()

    def __enter__(self) -> Pipeline:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_observer(self, callback: Any) -> None:
        """``callback(outcome: BatchOutcome)`` after every consumer or archiver invocation."""
        self._observers.append(callback)

    def _observe(self, outcome: BatchOutcome) -> None:
        for callback in self._observers:
            callback(outcome)

    def _observe_dlq(self, outcome: BatchOutcome) -> None:
        self.dead_lettered.update(outcome.message_ids)
        self._observe(outcome)

    def _functions(self) -> dict[str, ProcessLambdaFunction | None]:
        return {
            "producer": self.producer,
            "consumer": self.consumer,
            "archiver": self.archiver,
            "batch_submitter": self.batch_submitter,
            "batch_collector": self.batch_collector,
        }

    @property
    def cold_starts(self) -> dict[str, int]:
        return {name: f.cold_starts for name, f in self._functions().items() if f is not None}

    # -- environment -----------------------------------------------------------------------------
    def function_environment(self, bedrock_endpoint: str) -> dict[str, str]:
        """This process's environment plus what the module sets on the functions, pointed at moto."""
        r = self.resources
        assert r is not None and self.model_id is not None
        overrides: dict[str, str | None] = {
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock_endpoint,
            "JOBS_TABLE": r.jobs_table,
            "QUEUE_URL": r.queue_url,
            "PAYLOAD_BUCKET": r.payload_bucket,
            "ARCHIVE_BUCKET": r.archive_bucket,
            "ALERTS_TOPIC_ARN": r.alerts_topic_arn,
            "RESULTS_TOPIC_ARN": r.results_topic_arn,
            "MODEL_ID": self.model_id,
            **self._batch_environment(),
            **self.extra_environment,
            "POWERTOOLS_SERVICE_NAME": "bedrock-jobs",
            "POWERTOOLS_METRICS_NAMESPACE": "bedrock-jobs",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_TRACE_DISABLED": "true",
            **self.settings.function_environment(),
        }
        if self.bedrock:
            # Real credentials stay in place for Bedrock; every other service goes to moto by name.
            overrides.update({f"AWS_ENDPOINT_URL_{s}": self.aws.endpoint_url for s in _MOTO_SERVICES})
        else:
            # A catch-all endpoint and throw-away credentials: nothing can reach a real account.
            overrides.update(self.aws.environment())
            overrides.update(dict.fromkeys(_REAL_AWS_VARIABLES))
        # What the module sets on the functions (for ``--serve``'s outputs file), without this process's own.
        self.module_environment = {k: v for k, v in overrides.items() if v is not None}
        environment = dict(os.environ)
        for key, value in overrides.items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        return environment

    def _batch_environment(self) -> dict[str, str]:
        """batch.tf's variables (for every function, as the producer needs the queue URL too)."""
        if self.batch is None or self.batch_config is None:
            return {}
        assert self.batch_queue_url is not None
        return {
            "BATCH_QUEUE_URL": self.batch_queue_url,
            "BATCH_ROLE_ARN": f"arn:aws:iam::{ACCOUNT_ID}:role/{self.name}-batch-bedrock-{self.region}",
            "AWS_ENDPOINT_URL_BEDROCK": self.batch.endpoint_url,
            **self.batch_config.environment(),
        }

    # -- the producer's HTTP API -----------------------------------------------------------------
    def submit(self, job: Mapping[str, Any], index: int = 0) -> Submission:
        """POST /jobs through the real producer handler, as API Gateway would invoke it."""
        assert self.producer is not None
        body = json.dumps({k: job[k] for k in JOB_FIELDS if job.get(k) is not None})
        result = self.producer.invoke(api_events.post_job(body, region=self.region))
        if result.failed:
            return Submission(index, None, 502, f"producer invocation failed: {result.error}")
        response = result.response or {}
        status = int(response.get("statusCode", 502))
        try:
            payload = json.loads(response.get("body") or "{}")
        except ValueError:
            payload = {}
        if status != 202:
            return Submission(index, None, status, str(payload.get("error") or response.get("body")))
        return Submission(index, payload.get("job_id"), status)

    def get_job(self, job_id: str) -> tuple[int, dict[str, Any]]:
        """GET /jobs/{job_id} through the real producer handler."""
        assert self.producer is not None
        result = self.producer.invoke(api_events.get_job(job_id, region=self.region))
        if result.failed:
            return 502, {"error": str(result.error)}
        response = result.response or {}
        return int(response.get("statusCode", 502)), json.loads(response.get("body") or "{}")

    # -- observing -------------------------------------------------------------------------------
    def scan_jobs(self, attributes: tuple[str, ...] | None = None) -> Iterator[dict[str, Any]]:
        """Every job record, as plain Python values."""
        from boto3.dynamodb.types import TypeDeserializer

        assert self.resources is not None
        deserializer = TypeDeserializer()
        kwargs: dict[str, Any] = {"TableName": self.resources.jobs_table}
        if attributes:
            kwargs["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(attributes)))
            kwargs["ExpressionAttributeNames"] = {f"#a{i}": a for i, a in enumerate(attributes)}
        paginator = self.aws.client("dynamodb").get_paginator("scan")
        for page in paginator.paginate(**kwargs):
            for item in page.get("Items", []):
                yield {k: deserializer.deserialize(v) for k, v in item.items()}

    def status_counts(self) -> Counter[str]:
        return Counter(str(job.get("status")) for job in self.scan_jobs(("job_id", "status")))

    def queue_depths(self) -> dict[str, dict[str, int]]:
        assert self.resources is not None
        sqs = self.aws.client("sqs")
        depths = {
            "main": queue_depth(sqs, self.resources.queue_url),
            "dlq": queue_depth(sqs, self.resources.dlq_url),
        }
        if self.batch_queue_url and self.batch_dlq_url:
            depths["batch"] = queue_depth(sqs, self.batch_queue_url)
            depths["batch_dlq"] = queue_depth(sqs, self.batch_dlq_url)
        return depths

    def idle(self) -> bool:
        """No message waiting or in flight on any queue, no invocation running and no batch job unfinished."""
        depths = self.queue_depths()
        busy = sum(sum(d.values()) for d in depths.values())
        running = sum(m.in_flight for m in (self.consumer_mapping, self.archiver_mapping) if m)
        return busy == 0 and running == 0 and (self.batch is None or self.batch.idle())

    def archived_objects(self) -> list[dict[str, Any]]:
        """Every archived failure (``failed/…`` in the archive bucket), parsed, with its key."""
        assert self.resources is not None
        s3 = self.aws.client("s3")
        objects: list[dict[str, Any]] = []
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.resources.archive_bucket, Prefix="failed/"):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=self.resources.archive_bucket, Key=entry["Key"])["Body"].read()
                try:
                    document = json.loads(body)
                except ValueError:
                    document = {"unparseable": body.decode("utf-8", "replace")}
                objects.append({"key": entry["Key"], **document})
        return objects

    def pages(self) -> list[dict[str, Any]]:
        """Alerts delivered to the on-call subscription so far (the SNS ``Message``, parsed)."""
        assert self.resources is not None
        return [_sns_message(n) for n in self.aws.drain_inbox(self.resources.alerts_inbox_url)]

    def notices(self, limit: int = 1000) -> tuple[int, list[dict[str, Any]]]:
        """How many "job completed/failed" notices reached the results subscription, and the notices
        themselves when there are at most ``limit`` (reading thousands back one batch of ten at a time
        would take longer than the run)."""
        assert self.resources is not None
        count = sum(queue_depth(self.aws.client("sqs"), self.resources.results_inbox_url).values())
        if count > limit:
            return count, []
        notices = [_sns_message(n) for n in self.aws.drain_inbox(self.resources.results_inbox_url)]
        return len(notices), notices


def _sns_message(envelope: dict[str, Any]) -> dict[str, Any]:
    message = envelope.get("Message", "")
    try:
        parsed = json.loads(message)
    except (TypeError, ValueError):
        parsed = {"text": message}
    if isinstance(parsed, dict):
        parsed.setdefault("_subject", envelope.get("Subject"))
        return parsed
    return {"text": message, "_subject": envelope.get("Subject")}
