"""What a handler imports at cold start, and that tracing still works when its import is deferred.

No timings here (``make bench`` measures them): these tests pin the structure that makes cold starts
cheap — the X-Ray SDK and Powertools' batch package stay out of ``import bedrock_jobs.<handler>`` — and
prove, through the real consumer handler against moto and the fake Bedrock, that in Lambda the deferred
Tracer still records the handler, the traced method and the AWS calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AwsResources
from tests.support.jobs import acknowledge, job_body, queue_counts, receive, send

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
# Loaded only when needed: tracing in Lambda (X-Ray SDK), never by the handlers (Powertools' batch).
HEAVY_MODULES = ("aws_xray_sdk", "aws_lambda_powertools.utilities.batch")


@pytest.mark.parametrize(
    "handler", ["producer", "consumer", "dlq_archiver", "batch_submitter", "batch_collector"]
)
def test_handler_import_loads_neither_xray_nor_powertools_batch(handler: str) -> None:
    script = (
        f"import json, sys, bedrock_jobs.{handler}\n"
        f"print(json.dumps([m for m in {list(HEAVY_MODULES)!r} if m in sys.modules]))"
    )
    # No AWS settings and no Lambda variables: importing must need neither.
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(FUNCTIONS)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


# Runs the consumer as Lambda would with active tracing, catching what the X-Ray SDK would send.
TRACED_RUN = """
import json, sys
import bedrock_jobs.consumer as consumer

sent = []


class Emitter:
    daemon_address = "127.0.0.1:2000"

    def send_entity(self, entity):
        sent.append(entity.name)

    def set_daemon_address(self, address):
        pass


event = json.loads(sys.stdin.read())
assert "aws_xray_sdk" not in sys.modules, "the X-Ray SDK was imported before the first invocation"
from bedrock_jobs.observability import tracer

tracer.tracer.provider.configure(emitter=Emitter())
response = consumer.handler(event)
print(json.dumps({"response": response, "sent": sent}))
"""


def test_tracing_in_lambda_records_handler_method_and_aws_calls(aws_env: AwsResources, fake_bedrock) -> None:
    send(aws_env, job_body("traced-1"))
    event = receive(aws_env)
    env = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_TRACE_DISABLED"}
    env.update(
        {
            "PYTHONPATH": str(FUNCTIONS),
            "LAMBDA_TASK_ROOT": str(FUNCTIONS),
            "AWS_LAMBDA_FUNCTION_NAME": "bedrock-jobs-consumer",
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", TRACED_RUN],
        input=json.dumps(event),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    acknowledge(aws_env, event, outcome["response"])

    assert outcome["response"] == {"batchItemFailures": []}
    assert aws_env.job("traced-1")["status"] == "complete"
    assert fake_bedrock.successful_calls_by_job()["traced-1"] == 1
    assert queue_counts(aws_env) == (0, 0)
    sent = set(outcome["sent"])
    assert "## _handle" in sent  # the handler
    assert "## bedrock_jobs.job_processor.JobProcessor._run" in sent  # a traced method
    assert {"dynamodb", "sns", "bedrock-runtime"} <= sent  # the AWS calls, patched by the Tracer
