"""The operator CLI against the embedded AWS: every command through ``bedrock_jobs_cli.main.main`` with a
saved outputs file, as an operator would run it, checked against the table, the queues and the archive.

The jobs are run by the real consumer and DLQ archiver (``tests.support.jobs``), so what the CLI reads
and replays is what the handlers wrote.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from bedrock_jobs_cli import dlq_commands
from bedrock_jobs_cli.main import main
from botocore.stub import Stubber

from tests.conftest import AwsResources, lambda_environment
from tests.functions.test_archiver_guarantees import make_visible
from tests.support.jobs import job_body, queue_counts, receive, run_archiver, run_consumer, send


@pytest.fixture
def outputs(aws_env: AwsResources, fake_bedrock, tmp_path: Path) -> Path:
    """What ``terraform output -json`` gives, plus the local run's endpoint and producer environment."""
    values = {
        "queue_url": aws_env.queue_url,
        "dlq_url": aws_env.dlq_url,
        "jobs_table_name": aws_env.table,
        "jobs_table_failed_index_name": "failed-by-day",
        "payload_bucket_name": aws_env.payload_bucket,
        "archive_bucket_name": aws_env.archive_bucket,
        "aws_endpoint_url": aws_env.endpoint,
        "producer_environment": lambda_environment(aws_env, fake_bedrock.endpoint_url),
    }
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps({k: {"value": v, "type": "string", "sensitive": False} for k, v in values.items()})
    )
    return path


def cli(outputs: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--outputs", str(outputs), "--region", "us-east-1", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def cli_json(outputs: Path, *argv: str) -> Any:
    code, out, err = cli(outputs, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def fail_a_job(aws: AwsResources, job_id: str, *, archive: bool = True) -> None:
    """A poison job, run by the real consumer until SQS dead-letters it (its receives used up), then
    failed and archived by the real DLQ archiver."""
    send(aws, job_body(job_id, document="Attachment: POISON bytes."))
    while (event := receive(aws))["Records"]:
        response, _ = run_consumer(aws, event)
        make_visible(aws, event, response)  # its backoff has run out
    if archive:
        run_archiver(aws)
        assert aws.job(job_id)["status"] == "failed"


# -- submit, status, result, jobs ------------------------------------------------------------------
def test_submit_a_folder_then_read_status_and_results(outputs, aws_env, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("The release adds exports. It also fixes search.")
    (folder / "b.md").write_text("Checkout failed for thirty minutes. Certificates now renew.")
    answer = cli_json(outputs, "submit", str(folder), "--task", "summarize")
    assert answer["submitted"] == 2 and answer["rejected"] == 0
    job_ids = [row["job_id"] for row in answer["jobs"]]
    assert {aws_env.job(j)["status"] for j in job_ids} == {"pending"}  # written as POST /jobs writes

    run_consumer(aws_env)
    status = cli_json(outputs, "status", job_ids[0])
    assert status["status"] == "complete" and status["job_id"] == job_ids[0] and "document" not in status
    result = cli_json(outputs, "result", job_ids[1])
    assert result["result"] == aws_env.job(job_ids[1])["result"] and result["result"]
    code, out, _ = cli(outputs, "result", job_ids[1])
    assert code == 0 and out.strip() == result["result"]


def test_submit_with_wait_returns_when_every_job_is_done(outputs, aws_env, monkeypatch):
    # The consumer runs while the CLI waits: each poll of the table lets it take one batch.
    from bedrock_jobs_cli import job_commands

    real_get_job = job_commands.get_job

    def get_job_after_a_consumer_run(stack, job_id):
        if queue_counts(aws_env) != (0, 0):
            run_consumer(aws_env)
        return real_get_job(stack, job_id)

    monkeypatch.setattr(job_commands, "get_job", get_job_after_a_consumer_run)
    code, out, err = cli(
        outputs,
        "submit",
        "I was billed twice.",
        "--task",
        "classify",
        "--labels",
        "billing,bug",
        "--wait",
        "--interval",
        "0",
    )
    assert code == 0, err
    assert "1/1" in err and "complete 1" in err  # the progress line (not a terminal: plain lines)
    assert "complete" in out


def test_bad_input_is_refused_and_nothing_is_written(outputs, aws_env):
    code, out, _ = cli(outputs, "submit", "some text", "--task", "no-such-task", "--json")
    assert code == 1
    answer = json.loads(out)
    assert answer["rejected"] == 1 and "task" in answer["jobs"][0]["error"]
    assert queue_counts(aws_env) == (0, 0)
    assert aws_env.client("dynamodb").scan(TableName=aws_env.table)["Count"] == 0


def test_unknown_job_and_bad_usage_exit_1_and_2(outputs):
    code, _, err = cli(outputs, "status", "no-such-job")
    assert code == 1 and "no job 'no-such-job'" in err
    with pytest.raises(SystemExit) as usage:
        main(["jobs", "--status", "lost"], out=io.StringIO(), err=io.StringIO())
    assert usage.value.code == 2
    with pytest.raises(SystemExit) as usage:
        main(["jobs", "--status", "failed", "--since", "yesterday"], out=io.StringIO(), err=io.StringIO())
    assert usage.value.code == 2
    code, _, err = main_without_stack("status", "j1")
    assert code == 1 and "no stack" in err


def main_without_stack(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_failed_jobs_come_from_the_sparse_index(outputs, aws_env):
    fail_a_job(aws_env, "poison-1")
    send(aws_env, job_body("fine-1"))
    run_consumer(aws_env)
    failed = cli_json(outputs, "jobs", "--status", "failed", "--since", "1h")
    assert [row["job_id"] for row in failed] == ["poison-1"]
    index = aws_env.client("dynamodb").scan(TableName=aws_env.table, IndexName="failed-by-day")
    assert [i["job_id"]["S"] for i in index["Items"]] == ["poison-1"]  # complete jobs never enter it
    complete = cli_json(outputs, "jobs", "--status", "complete")
    assert [row["job_id"] for row in complete] == ["fine-1"]


# -- DLQ and archive ---------------------------------------------------------------------------------
def test_dlq_list_show_and_redrive_by_hand_where_the_move_task_api_is_missing(outputs, aws_env):
    fail_a_job(aws_env, "poison-2", archive=False)
    assert queue_counts(aws_env, "dlq")[0] == 1
    [listed] = cli_json(outputs, "dlq", "list")
    assert listed["job_id"] == "poison-2" and listed["receive_count"] >= 1
    assert queue_counts(aws_env, "dlq") == (1, 0)  # listing took nothing away
    shown = cli_json(outputs, "dlq", "show", listed["message_id"])
    assert json.loads(shown["body"])["job_id"] == "poison-2"

    dry = cli_json(outputs, "dlq", "redrive", "--dry-run")
    assert dry["messages"] == 1 and queue_counts(aws_env, "dlq") == (1, 0)
    # moto has no StartMessageMoveTask: the CLI falls back to receive / send / delete.
    moved = cli_json(outputs, "dlq", "redrive", "--rate", "50")
    assert moved == {"method": "receive-send-delete", "moved": 1}
    assert queue_counts(aws_env, "dlq") == (0, 0) and queue_counts(aws_env) == (1, 0)
    message = aws_env.client("sqs").receive_message(QueueUrl=aws_env.queue_url)["Messages"][0]
    assert json.loads(message["Body"])["job_id"] == "poison-2"


def test_redrive_uses_start_message_move_task_where_sqs_has_it(outputs, aws_env, monkeypatch):
    from bedrock_jobs_cli.stack import Stack

    sqs = aws_env.client("sqs")
    stubber = Stubber(sqs)
    arns = {
        aws_env.dlq_url: "arn:aws:sqs:us-east-1:123456789012:jobs-dlq",
        aws_env.queue_url: "arn:aws:sqs:us-east-1:123456789012:jobs",
    }
    stubber.add_response("get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": "7"}})
    for url in (aws_env.dlq_url, aws_env.queue_url):
        stubber.add_response(
            "get_queue_attributes",
            {"Attributes": {"QueueArn": arns[url]}},
            {"QueueUrl": url, "AttributeNames": ["QueueArn"]},
        )
    stubber.add_response(
        "start_message_move_task",
        {"TaskHandle": "task-1"},
        {
            "SourceArn": arns[aws_env.dlq_url],
            "DestinationArn": arns[aws_env.queue_url],
            "MaxNumberOfMessagesPerSecond": 20,
        },
    )
    real_client = Stack.client
    monkeypatch.setattr(
        Stack, "client", lambda self, service: sqs if service == "sqs" else real_client(self, service)
    )
    with stubber:
        answer = cli_json(outputs, "dlq", "redrive", "--rate", "20")
    assert answer == {"method": "StartMessageMoveTask", "task_handle": "task-1", "messages": 7}
    stubber.assert_no_pending_responses()


def test_archive_replay_reopens_a_failed_job_and_never_touches_a_complete_one(outputs, aws_env):
    fail_a_job(aws_env, "poison-3")
    [entry] = cli_json(outputs, "archive", "list", "--job", "poison-3")
    shown = cli_json(outputs, "archive", "show", entry["key"].rsplit("/", 1)[1].removesuffix(".json"))
    assert shown["job_id"] == "poison-3" and json.loads(shown["body"])["job_id"] == "poison-3"

    dry = cli_json(outputs, "archive", "replay", entry["key"], "--dry-run")
    assert dry["job_status"] == "failed" and aws_env.job("poison-3")["status"] == "failed"
    replayed = cli_json(outputs, "archive", "replay", entry["key"])
    job = aws_env.job("poison-3")
    assert (job["status"], job["replays"]) == ("pending", 1) and "error" not in job and job["replayed_error"]
    assert cli_json(outputs, "jobs", "--status", "failed") == []  # it left the index of failures
    message = aws_env.client("sqs").receive_message(QueueUrl=aws_env.queue_url, MessageAttributeNames=["All"])
    assert message["Messages"][0]["MessageId"] == replayed["message_id"]
    assert message["Messages"][0]["Body"] == shown["body"]  # the original body, unchanged

    # A job that completed since must never be replayed over.
    aws_env.client("dynamodb").update_item(
        TableName=aws_env.table,
        Key={"job_id": {"S": "poison-3"}},
        UpdateExpression="SET #s = :c",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":c": {"S": "complete"}},
    )
    code, _, err = cli(outputs, "archive", "replay", entry["key"])
    assert code == 1 and "complete: not replayed" in err


def test_watch_prints_one_line_per_refresh_off_a_terminal(outputs, aws_env):
    send(aws_env, job_body("waiting-1"))
    code, out, _ = cli(outputs, "watch", "--count", "2", "--interval", "0")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2 and all("queue 1+0" in line for line in lines)
    snapshot = cli_json(outputs, "watch", "--count", "1", "--interval", "0")
    assert (
        snapshot["queues"]["queue"] == {"waiting": 1, "in_flight": 0}
        and snapshot["queues"]["dlq"]["waiting"] == 0
    )


def test_move_task_errors_that_mean_unsupported_are_known():
    assert {"InvalidAction", "UnsupportedOperation"} <= dlq_commands.MOVE_TASK_UNSUPPORTED


def test_the_stack_comes_from_terraform_output_or_the_environment(outputs, aws_env, tmp_path, monkeypatch):
    send(aws_env, job_body("found-1"))
    saved = outputs.read_text()
    # --stack DIR runs `terraform output -json` there ($TERRAFORM names the binary).
    terraform = tmp_path / "terraform"
    terraform.write_text(f"#!/bin/sh\ntest \"$1 $2\" = 'output -json' && cat <<'JSON'\n{saved}\nJSON\n")
    terraform.chmod(0o755)
    monkeypatch.setenv("TERRAFORM", str(terraform))
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(["--stack", str(tmp_path), "--region", "us-east-1", "watch", "--count", "1", "--json"], out, err)
        == 0
    )
    assert json.loads(out.getvalue())["queues"]["queue"]["waiting"] == 1
    # ... or BEDROCK_JOBS_<OUTPUT> variables.
    monkeypatch.delenv("TERRAFORM")
    values = {name: entry["value"] for name, entry in json.loads(saved).items()}
    for name in ("queue_url", "dlq_url", "jobs_table_name", "aws_endpoint_url"):
        monkeypatch.setenv(f"BEDROCK_JOBS_{name.upper()}", values[name])
    out = io.StringIO()
    assert (
        main(["--region", "us-east-1", "status", "found-1", "--json"], out, io.StringIO()) == 1
    )  # not claimed yet
    run_consumer(aws_env)
    assert main(["--region", "us-east-1", "status", "found-1", "--json"], out, io.StringIO()) == 0
    assert json.loads(out.getvalue())["status"] == "complete"
    # A terraform that fails is reported, not a traceback.
    terraform.write_text("#!/bin/sh\necho 'No outputs found' >&2\nexit 1\n")
    monkeypatch.setenv("TERRAFORM", str(terraform))
    err = io.StringIO()
    assert main(["--stack", str(tmp_path), "status", "x"], io.StringIO(), err) == 1
    assert "terraform output failed" in err.getvalue() and "No outputs found" in err.getvalue()
