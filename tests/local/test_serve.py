"""``make run ARGS="--serve"``: the local deployment keeps working after the run, and the operator CLI drives
it through the outputs file it writes — submit, wait, status, result, a failure in the DLQ redriven and an
archived one replayed — with the real functions behind their event source mappings.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bedrock_jobs_cli.main import main
from bedrock_jobs_local.fake_bedrock import FakeBedrockConfig
from bedrock_jobs_local.module_defaults import load_module_defaults
from bedrock_jobs_local.pipeline import Pipeline
from bedrock_jobs_local.serve import serve, write_outputs
from bedrock_jobs_local.settings import LocalSettings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, Path]]:
    settings = LocalSettings(load_module_defaults(), time_scale=100)
    fake = FakeBedrockConfig(latency_seconds=0.0, seed=3)
    pipeline = Pipeline(settings, name="serve-test", fake_config=fake, aws_mode="process").start()
    outputs = tmp_path_factory.mktemp("serve") / "stack-outputs.json"
    stop = threading.Event()
    log = io.StringIO()
    server = threading.Thread(target=serve, args=(pipeline, outputs, log, stop), daemon=True)
    server.start()
    deadline = time.monotonic() + 30
    while not outputs.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield pipeline, outputs
    finally:
        stop.set()
        server.join(timeout=120)
        pipeline.stop()
    assert "bedrock-jobs --outputs" in log.getvalue()


def cli(outputs: Path, *argv: str) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--outputs", str(outputs), *argv, "--json"], out=out, err=err)
    return code, json.loads(out.getvalue() or "null"), err.getvalue()


def test_the_outputs_file_names_the_deployment_as_terraform_does(served):
    pipeline, outputs = served
    saved = json.loads(outputs.read_text())
    assert saved["queue_url"] == {"value": pipeline.resources.queue_url, "type": "string", "sensitive": False}
    assert saved["jobs_table_name"]["value"] == pipeline.resources.jobs_table
    assert saved["aws_endpoint_url"]["value"] == pipeline.aws.endpoint_url
    assert saved["producer_environment"]["value"]["QUEUE_URL"] == pipeline.resources.queue_url
    assert write_outputs(pipeline, outputs.parent / "again.json").read_text() == outputs.read_text()


def test_jobs_submitted_with_the_cli_are_processed_by_the_served_functions(served):
    _, outputs = served
    code, answer, err = cli(
        outputs,
        "submit",
        "Ticket: I was billed twice.",
        "--task",
        "classify",
        "--labels",
        "billing,bug",
        "--wait",
    )
    assert code == 0, err
    [job] = answer["jobs"]
    assert job["status"] == "complete"
    code, result, _ = cli(outputs, "result", job["job_id"])
    assert (code, result["result"]) == (0, "billing")


def test_a_poison_job_is_failed_archived_and_replayed_through_the_cli(served):
    _, outputs = served
    code, answer, err = cli(outputs, "submit", "Attachment: POISON bytes.", "--wait", "--timeout", "120")
    [job] = answer["jobs"]
    assert (code, job["status"]) == (0, "failed"), err  # dead-lettered, then failed by the archiver
    code, failed, _ = cli(outputs, "jobs", "--status", "failed")
    assert job["job_id"] in [row["job_id"] for row in failed]
    code, archived, _ = cli(outputs, "archive", "list", "--job", job["job_id"])
    assert code == 0 and len(archived) == 1
    code, _, err = cli(outputs, "archive", "replay", archived[0]["key"])
    assert code == 0, err
    # The poison fails again (the model still cannot answer it): replayed once, failed again, never lost.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        code, status, _ = cli(outputs, "status", job["job_id"])
        if status["status"] == "failed" and status.get("replays") == 1:
            break
        time.sleep(0.5)
    assert status["status"] == "failed" and status["replays"] == 1 and status["replayed_error"]


def test_make_run_serve_serves_after_its_report(tmp_path):
    """``make run ARGS="--serve"``: the run's report first, then the deployment for the CLI until stopped."""
    from bedrock_jobs_local import run as run_module

    output, stop = tmp_path / "out", threading.Event()
    args = run_module.parse_args(
        [
            "--jobs",
            "3",
            "--no-faults",
            "--serve",
            "--output",
            str(output),
            "--progress",
            "lines",
            "--time-scale",
            "100",
        ]
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    codes: list[int] = []
    runner = threading.Thread(
        target=lambda: codes.append(run_module.run(args, stdout, stderr, stop)), daemon=True
    )
    runner.start()
    outputs = output / "stack-outputs.json"
    deadline = time.monotonic() + 120
    while not outputs.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        assert "lost 0" in stdout.getvalue()  # the report came first
        code, answer, err = cli(outputs, "submit", "A document served after the run.", "--wait")
        assert code == 0 and answer["jobs"][0]["status"] == "complete", err
    finally:
        stop.set()
        runner.join(timeout=120)
    assert codes == [0] and "bedrock-jobs --outputs" in stderr.getvalue()
