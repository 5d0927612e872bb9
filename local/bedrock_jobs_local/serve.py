"""``make run ARGS="--serve"``: after the run, the embedded deployment keeps working and an outputs file
lets the operator CLI (``bedrock-jobs --outputs FILE …``) drive it, as ``terraform output -json`` would
for a real stack.

The file holds the module's outputs under their Terraform names, plus ``aws_endpoint_url`` (the embedded
AWS, where the CLI sends every call) and ``producer_environment`` (the settings the producer function
runs with, which ``bedrock-jobs submit`` submits with).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import IO, Any

from bedrock_jobs.job_store import FAILED_INDEX

from .pipeline import Pipeline

SERVE_OUTPUTS_NAME = "stack-outputs.json"


def stack_outputs(pipeline: Pipeline) -> dict[str, Any]:
    """The deployment's outputs in ``terraform output -json``'s shape."""
    r = pipeline.resources
    assert r is not None, "the pipeline is not started"
    values: dict[str, Any] = {
        "queue_url": r.queue_url,
        "queue_arn": r.queue_arn,
        "dlq_url": r.dlq_url,
        "dlq_arn": r.dlq_arn,
        "jobs_table_name": r.jobs_table,
        "jobs_table_failed_index_name": FAILED_INDEX,
        "payload_bucket_name": r.payload_bucket,
        "archive_bucket_name": r.archive_bucket,
        "alarm_topic_arn": r.alerts_topic_arn,
        "results_topic_arn": r.results_topic_arn,
        "producer_function_name": pipeline.producer.name if pipeline.producer else None,
        "batch_queue_url": pipeline.batch_queue_url,
        "batch_dlq_url": pipeline.batch_dlq_url,
        "aws_endpoint_url": pipeline.aws.endpoint_url,
        "producer_environment": pipeline.module_environment,
    }
    return {
        name: {"value": value, "type": "object" if isinstance(value, dict) else "string", "sensitive": False}
        for name, value in values.items()
        if value is not None
    }


def write_outputs(pipeline: Pipeline, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stack_outputs(pipeline), indent=2) + "\n", encoding="utf-8")
    return path


def serve(pipeline: Pipeline, outputs: Path, stream: IO[str], until: threading.Event | None = None) -> None:
    """Keep the deployment polling until Ctrl-C (or ``until`` is set)."""
    write_outputs(pipeline, outputs)
    pipeline.start_polling()
    stream.write(
        f"\nserving the local deployment (Ctrl-C to stop); try:\n"
        f"  .venv/bin/bedrock-jobs --outputs {outputs} watch\n"
        f"  .venv/bin/bedrock-jobs --outputs {outputs} submit 'Some text to summarize' --wait\n"
        f"  .venv/bin/bedrock-jobs --outputs {outputs} jobs --status failed\n"
    )
    stream.flush()
    stop = until or threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        stream.write("\nstopping\n")
    finally:
        pipeline.stop_mappings()
