"""POST /jobs with ``"mode": "batch"`` (SPEC "Batch mode"): the same record and API, the batch queue.

Through ``producer.handler`` and ``submit_jobs`` against moto; the queues and the table are read back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from bedrock_jobs import producer
from bedrock_jobs.submission import submit_jobs

from tests.conftest import AwsResources
from tests.support.http_events import get_job, parse_response, post_jobs
from tests.support.jobs import queue_counts, set_env
from tests.support.lambda_events import FakeLambdaContext

DOCUMENT = "The quarterly report shows revenue up 12%. Costs fell. The board approved the plan."


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return parse_response(producer.handler(event, FakeLambdaContext(timeout_seconds=10)))


@pytest.fixture
def batch_queue(aws_env: AwsResources, monkeypatch: pytest.MonkeyPatch) -> str:
    url = aws_env.client("sqs").create_queue(QueueName="jobs-batch")["QueueUrl"]
    set_env(monkeypatch, BATCH_QUEUE_URL=url)
    return url


def waiting(aws: AwsResources, queue_url: str) -> list[dict[str, Any]]:
    messages = aws.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return messages.get("Messages", [])


def test_a_batch_job_waits_in_the_batch_queue_with_its_record_pending(aws_env, batch_queue):
    status, body = call(post_jobs({"task": "summarize", "document": DOCUMENT, "mode": "batch"}))

    assert (status, body["status"]) == (202, "pending")
    job = aws_env.job(body["job_id"])
    assert (job["status"], job["mode"]) == ("pending", "batch") and job["enqueued_at"]
    [message] = waiting(aws_env, batch_queue)
    assert json.loads(message["Body"])["job_id"] == body["job_id"]
    assert message["MessageAttributes"]["job_id"]["StringValue"] == body["job_id"]
    assert queue_counts(aws_env) == (0, 0)  # nothing on the realtime queue
    status, shown = call(get_job(body["job_id"]))
    assert (status, shown["mode"], shown["status"]) == (200, "batch", "pending")


def test_realtime_stays_the_default_and_is_recorded(aws_env, batch_queue):
    status, body = call(post_jobs({"task": "summarize", "document": DOCUMENT}))
    assert status == 202 and aws_env.job(body["job_id"])["mode"] == "realtime"
    assert queue_counts(aws_env) == (1, 0) and waiting(aws_env, batch_queue) == []


def test_the_module_can_make_batch_the_default(aws_env, batch_queue, monkeypatch):
    set_env(monkeypatch, DEFAULT_MODE="batch")
    status, body = call(post_jobs({"task": "summarize", "document": DOCUMENT}))
    assert status == 202 and aws_env.job(body["job_id"])["mode"] == "batch"
    assert len(waiting(aws_env, batch_queue)) == 1 and queue_counts(aws_env) == (0, 0)


@pytest.mark.parametrize(
    ("mode", "error"),
    [("overnight", "'mode' must be one of: realtime, batch"), (["batch"], "'mode' must be one of")],
)
def test_an_unknown_mode_is_refused_and_nothing_is_stored(aws_env, batch_queue, mode, error):
    status, body = call(post_jobs({"task": "summarize", "document": DOCUMENT, "mode": mode}))
    assert status == 400 and error in body["error"]
    assert aws_env.client("dynamodb").scan(TableName=aws_env.table)["Count"] == 0
    assert waiting(aws_env, batch_queue) == [] and queue_counts(aws_env) == (0, 0)


def test_batch_mode_without_a_batch_queue_is_refused_with_a_clear_error(aws_env):
    status, body = call(post_jobs({"task": "summarize", "document": DOCUMENT, "mode": "batch"}))
    assert status == 400 and "batch mode is not enabled" in body["error"]
    assert aws_env.client("dynamodb").scan(TableName=aws_env.table)["Count"] == 0


def test_a_key_reused_with_another_mode_is_a_conflict(aws_env, batch_queue):
    first = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "k-1"}
    status, created = call(post_jobs(first))
    assert status == 202
    status, body = call(post_jobs({**first, "mode": "batch"}))
    assert status == 409 and "different request" in body["error"]
    status, again = call(post_jobs(first))  # the same request, the same job
    assert (status, again["job_id"]) == (202, created["job_id"])
    assert waiting(aws_env, batch_queue) == []


def test_a_mixed_submission_puts_each_job_on_its_own_queue(aws_env, batch_queue):
    jobs = [
        {"task": "summarize", "document": f"{DOCUMENT} #{n}", "mode": ("batch", "realtime")[n % 2]}
        for n in range(6)
    ]
    results = submit_jobs(jobs)

    assert all(r.ok for r in results)
    modes = {r.job_id: aws_env.job(r.job_id)["mode"] for r in results}
    assert sorted(modes.values()) == ["batch"] * 3 + ["realtime"] * 3
    on_batch_queue = {json.loads(m["Body"])["job_id"] for m in waiting(aws_env, batch_queue)}
    assert on_batch_queue == {job_id for job_id, mode in modes.items() if mode == "batch"}
    assert queue_counts(aws_env) == (3, 0)


@pytest.mark.parametrize("aws_env", [{"fifo": True}], indirect=True)
def test_with_a_fifo_main_queue_batch_jobs_still_reach_the_standard_batch_queue(aws_env, batch_queue):
    status, body = call(post_jobs({"task": "summarize", "document": DOCUMENT, "mode": "batch"}))
    assert status == 202
    [message] = waiting(aws_env, batch_queue)
    assert json.loads(message["Body"])["job_id"] == body["job_id"]
