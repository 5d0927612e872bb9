"""Embedded AWS + fake Bedrock + the Lambda environment, for benchmarks."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import bedrock_jobs
from bedrock_jobs_local.embedded_aws import EmbeddedAws, QueueSettings, Resources
from bedrock_jobs_local.event_source_mapping import receive_event
from bedrock_jobs_local.fake_bedrock import FakeBedrock
from bedrock_jobs_local.lambda_context import LambdaContext

MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"


@contextmanager
def pipeline(
    name: str, latency: float = 0.0, aws_mode: str = "process", log_level: str = "ERROR", **env: str
) -> Iterator[tuple[EmbeddedAws, Resources, FakeBedrock]]:
    """``aws_mode="process"``: moto in a child process, so its CPU is not the measured function's (in
    Lambda, AWS does not run on the function's vCPU). ``log_level="INFO"`` with metrics on is what a
    deployed consumer does; wrap the measured calls in ``discard_stdout`` then."""
    saved = dict(os.environ)
    with EmbeddedAws(mode=aws_mode) as aws, FakeBedrock(latency_seconds=latency) as model:
        # moto's backends are process-wide, so every run gets its own resource names.
        resources = aws.create_resources(
            f"bench-{name}",
            QueueSettings(
                visibility_timeout=305,
                message_retention=1_209_600,
                max_receive_count=3,
                dlq_visibility_timeout=180,
                dlq_message_retention=1_209_600,
            ),
        )
        os.environ.update(aws.environment())
        os.environ.update(
            {
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": model.endpoint_url,
                "JOBS_TABLE": resources.jobs_table,
                "QUEUE_URL": resources.queue_url,
                "PAYLOAD_BUCKET": resources.payload_bucket,
                "ARCHIVE_BUCKET": resources.archive_bucket,
                "ALERTS_TOPIC_ARN": resources.alerts_topic_arn,
                "RESULTS_TOPIC_ARN": resources.results_topic_arn,
                "MODEL_ID": MODEL_ID,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": log_level,
                "POWERTOOLS_METRICS_DISABLED": "true" if log_level == "ERROR" else "false",
                **env,
            }
        )
        bedrock_jobs.reset_caches()
        from bedrock_jobs.observability import logger

        logger.setLevel(log_level)  # the logger was built at import
        try:
            yield aws, resources, model
        finally:
            os.environ.clear()
            os.environ.update(saved)
            bedrock_jobs.reset_caches()


@contextmanager
def discard_stdout() -> Iterator[None]:
    """Send what the handlers write to stdout (JSON logs, EMF metrics) to /dev/null, at the fd level."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def emulator_pid(aws: EmbeddedAws) -> int | None:
    """The moto child process of ``EmbeddedAws(mode="process")``, whose CPU the benchmarks report."""
    process = getattr(aws, "_process", None)
    return process.pid if process is not None else None


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def enqueue(
    aws: EmbeddedAws, resources: Resources, count: int, prefix: str, *, via: str = "producer"
) -> list[str]:
    """Put ``count`` jobs on the queue; their job ids, in order.

    ``via="producer"``: POST /jobs through the real producer handler, as most jobs arrive (the record
    is written, then the message sent). ``via="direct"``: the message alone, as an EventBridge rule or
    schedule sends it (the consumer creates the record on its claim).
    """
    if via == "producer":
        from bedrock_jobs import producer
        from bedrock_jobs_local import api_events

        job_ids = []
        with discard_stdout():
            for i in range(count):
                body = json.dumps(
                    {"task": "summarize", "document": _document(i), "idempotency_key": f"{prefix}-{i}"}
                )
                response = producer.handler(api_events.post_job(body, region=resources.region), context())
                assert response["statusCode"] == 202, response
                job_ids.append(json.loads(response["body"])["job_id"])
        return job_ids
    sqs = aws.client("sqs")
    job_ids = [f"{prefix}-{i}" for i in range(count)]
    for start in range(0, count, 10):
        sqs.send_message_batch(
            QueueUrl=resources.queue_url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": json.dumps(
                        {"job_id": job_ids[i], "task": "summarize", "document": _document(i)}
                    ),
                }
                for i in range(start, min(count, start + 10))
            ],
        )
    return job_ids


def _document(i: int) -> str:
    return f"Ticket {i}: the export button times out. Customer waits."


def receive_batch(aws: EmbeddedAws, resources: Resources, size: int) -> dict[str, Any]:
    return receive_event(aws.client("sqs"), resources.queue_url, resources.queue_arn, resources.region, size)


def context(timeout: float = 50.0) -> LambdaContext:
    return LambdaContext(function_name="bench-consumer", timeout_seconds=timeout)
