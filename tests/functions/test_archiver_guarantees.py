"""What the DLQ archiver guarantees (issue 8, items 1, 4 and 15), through the handlers against moto and the
fake Bedrock:

* a job under a live processing lease is not failed by the archiver: its dead-lettered copy is archived
  and looked at again when the lease ends, by which time the original has finished (item 4);
* a job the model never saw is not failed because batch mechanics dead-lettered its message: the
  archiver sends the message back to the main queue, a bounded number of times (item 1);
* a burst of dead letters is one alert, not one page per job, and if that alert cannot be published
  every message it would have announced stays in the DLQ (item 15).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import bedrock_jobs
import pytest
from bedrock_jobs.job_store import JobStore

from tests.conftest import AwsResources
from tests.support.jobs import (
    failed_ids,
    job_body,
    queue_counts,
    receive,
    run_archiver,
    run_consumer,
    send,
)
from tests.support.lambda_events import FakeLambdaContext

REQUEUE_ATTRIBUTE = "bedrock_jobs_requeues"


def store(aws: AwsResources) -> JobStore:
    return JobStore(aws.table, dynamodb=aws.client("dynamodb"))


def dead_letter(aws: AwsResources, body: dict[str, Any], group: str | None = None) -> str:
    return send(aws, body, queue_url=aws.dlq_url, attributes={"job_id": body["job_id"]}, group=group)


def attempted_job(aws: AwsResources, job_id: str, last_error: str) -> None:
    """A job a consumer claimed (one attempt counted) and handed back after a retryable failure."""
    assert store(aws).create_pending({"job_id": job_id, "task": "summarize", "model_id": "m"})
    claim = store(aws).claim(job_id, 60, defaults={})
    assert store(aws).release(job_id, claim.token, last_error)


def make_visible(aws: AwsResources, event: dict[str, Any], response: dict[str, Any]) -> None:
    """Time passes: the records reported failed become visible again (their backoff has run out)."""
    sqs = aws.client("sqs")
    retried = failed_ids(response)
    for record in event["Records"]:
        if record["messageId"] in retried:
            url = aws.dlq_url if record["eventSourceARN"] == aws.dlq_arn else aws.queue_url
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )


def submit(aws: AwsResources, job_id: str, document: str, group: str) -> str:
    """What the producer does: the job written ``pending``, then its message sent."""
    assert store(aws).create_pending({"job_id": job_id, "task": "summarize"})
    send(aws, job_body(job_id, document), group=group, attributes={"job_id": job_id})
    return job_id


# -- item 4: a live lease is not failed -------------------------------------------------------------
def test_a_copy_dead_lettered_under_a_live_lease_waits_for_the_original(aws_env, fake_bedrock, monkeypatch):
    # A model slow enough that the archiver runs while the original invocation is waiting for it.
    monkeypatch.setenv("BEDROCK_READ_TIMEOUT_SECONDS", "20")
    bedrock_jobs.reset_caches()
    fake_bedrock.config.latency_seconds = 3.0
    job_id = "leased-1"
    send(aws_env, job_body(job_id))
    original: dict[str, Any] = {}
    consumer_thread = threading.Thread(target=lambda: original.update(response=run_consumer(aws_env)[0]))
    consumer_thread.start()
    try:
        for _ in range(400):  # until the original has claimed the job and called the model
            if fake_bedrock.calls_for(job_id):
                break
            time.sleep(0.025)
        assert aws_env.job(job_id)["status"] == "processing"
        copy_id = dead_letter(aws_env, job_body(job_id))

        deferred, deferred_event = run_archiver(aws_env)

        # Not failed, nobody paged; the copy is archived and stays in the DLQ until the lease ends.
        assert failed_ids(deferred) == {copy_id}
        assert aws_env.job(job_id)["status"] == "processing"
        assert aws_env.published(aws_env.alerts_inbox_url) == []
        assert [e["message_id"] for e in aws_env.archived()] == [copy_id]
        assert queue_counts(aws_env, "dlq") == (0, 1)
    finally:
        consumer_thread.join()

    # The original finishes and its result is stored.
    assert original["response"] == {"batchItemFailures": []}
    job = aws_env.job(job_id)
    assert job["status"] == "complete"
    assert job["result"] == "The printer is on fire. Please send help."
    assert fake_bedrock.successful_calls_by_job() == {job_id: 1}

    # After the lease the copy comes back: acknowledged, the job untouched, still nobody paged.
    make_visible(aws_env, deferred_event, deferred)
    acknowledged, _ = run_archiver(aws_env)

    assert acknowledged == {"batchItemFailures": []}
    assert aws_env.job(job_id) == job
    assert aws_env.published(aws_env.alerts_inbox_url) == []
    notices = aws_env.published(aws_env.results_inbox_url)
    assert [(n["job_id"], n["status"]) for n in notices] == [(job_id, "complete")]
    assert [e["message_id"] for e in aws_env.archived()] == [copy_id]
    assert queue_counts(aws_env, "dlq") == (0, 0)
    assert fake_bedrock.successful_calls_by_job() == {job_id: 1}


def test_a_job_whose_crashed_holders_used_up_its_receives_is_sent_back(aws_env, fake_bedrock):
    """Found by the chaos run: holders crashed (their leases expired) and no invocation is known to have
    called the model, so the job is not failed for it: the archiver requeues it and it completes."""
    assert store(aws_env).create_pending({"job_id": "crashed-0", "task": "summarize"})
    for _ in range(2):  # two claims, both by invocations that died without a word
        assert store(aws_env).claim("crashed-0", 0.001, defaults={}).token
        time.sleep(0.01)
    dead_letter(aws_env, job_body("crashed-0"))

    run_archiver(aws_env)

    assert aws_env.job("crashed-0")["status"] == "processing"  # not failed; the lease is over
    assert aws_env.archived() == [] and aws_env.published(aws_env.alerts_inbox_url) == []
    response, _ = run_consumer(aws_env)
    assert response == {"batchItemFailures": []}
    assert aws_env.job("crashed-0")["status"] == "complete"
    assert fake_bedrock.successful_calls_by_job()["crashed-0"] == 1


def test_a_crashed_job_out_of_requeues_is_failed_and_paged(aws_env):
    # The original invocation crashed mid-call: the lease is over, and the requeues are used up.
    assert store(aws_env).create_pending({"job_id": "crashed-1", "task": "summarize"})
    assert store(aws_env).claim("crashed-1", 0.001, defaults={}).token
    time.sleep(0.01)
    message_id = send(
        aws_env,
        job_body("crashed-1"),
        queue_url=aws_env.dlq_url,
        attributes={"job_id": "crashed-1", REQUEUE_ATTRIBUTE: "3"},
    )

    response, _ = run_archiver(aws_env)

    assert response == {"batchItemFailures": []}
    job = aws_env.job("crashed-1")
    assert job["status"] == "failed" and "requeued 3 times" in job["error"]
    [alert] = aws_env.published(aws_env.alerts_inbox_url)
    assert [(f["job_id"], f["message_id"]) for f in alert["failures"]] == [("crashed-1", message_id)]


def test_a_job_claimed_again_between_the_archivers_read_and_write_is_not_failed(
    aws_env, fake_bedrock, aws_faults, monkeypatch
):
    """The lease check is part of the conditional write, not only of the archiver's earlier read."""
    monkeypatch.setenv("BEDROCK_READ_TIMEOUT_SECONDS", "20")
    monkeypatch.setenv("ARCHIVER_MAX_REQUEUES", "0")  # a crashed holder's job is failed, not sent back
    bedrock_jobs.reset_caches()
    fake_bedrock.config.latency_seconds = 6.0
    # The original invocation crashed mid-call: processing, lease over. Its message is redelivered.
    assert store(aws_env).create_pending({"job_id": "reclaimed-1", "task": "summarize"})
    assert store(aws_env).claim("reclaimed-1", 0.001, defaults={}).token
    time.sleep(0.01)
    send(aws_env, job_body("reclaimed-1"))
    copy_id = dead_letter(aws_env, job_body("reclaimed-1"))
    # The archiver reads the expired lease; its write to fail the job is held back in transit ...
    aws_faults.add(service="dynamodb", action="UpdateItem", code=None, delay_seconds=3.0, match='"failed"')
    archiver: dict[str, Any] = {}
    archiver_thread = threading.Thread(target=lambda: archiver.update(response=run_archiver(aws_env)[0]))
    archiver_thread.start()
    try:
        for _ in range(400):
            if aws_faults.injected():
                break
            time.sleep(0.025)
        assert aws_faults.injected(), "the archiver's write was not held back"
        # ... while the redelivered message is claimed (a live lease) and the model is working.
        consumer_response, _ = run_consumer(aws_env)
    finally:
        archiver_thread.join()

    assert failed_ids(archiver["response"]) == {copy_id}  # handed back until the new lease ends
    assert consumer_response == {"batchItemFailures": []}
    job = aws_env.job("reclaimed-1")
    assert job["status"] == "complete"
    assert job["result"] == "The printer is on fire. Please send help."
    assert aws_env.published(aws_env.alerts_inbox_url) == []


# -- item 1: never-attempted jobs go back to the main queue -----------------------------------------
@pytest.mark.parametrize("aws_env", [{"fifo": True}], indirect=True)
def test_fifo_tail_records_dead_lettered_untried_are_requeued_and_all_complete(
    aws_env, fake_bedrock, monkeypatch
):
    # One group, a slow model and short invocations: each batch gets through its first records only,
    # the rest of the group is handed back unprocessed and burns a receive each time.
    monkeypatch.setenv("RETRY_BASE_DELAY_SECONDS", "0")
    monkeypatch.setenv("BEDROCK_READ_TIMEOUT_SECONDS", "3")  # one attempt needs 1 + 3 + 3 s to start
    bedrock_jobs.reset_caches()
    fake_bedrock.config.latency_seconds = 1.0
    job_ids = [
        submit(aws_env, f"tail-{i}", f"Document number {i}. It is short.", "one-group") for i in range(8)
    ]

    dead_lettered: list[dict[str, Any]] = []
    for _ in range(60):
        event = receive(aws_env)
        if event["Records"]:
            # Enough time for the first record's model attempt, rarely for a third.
            response, event = run_consumer(aws_env, event, FakeLambdaContext(timeout_seconds=8.5))
            make_visible(aws_env, event, response)
            continue
        dlq_event = receive(aws_env, "dlq")
        if not dlq_event["Records"]:
            break
        archived, _ = run_archiver(aws_env, dlq_event)
        assert archived == {"batchItemFailures": []}
        dead_lettered += dlq_event["Records"]

    assert dead_lettered, "the scenario must dead-letter untried records"
    assert {json.loads(r["body"])["job_id"] for r in dead_lettered} <= set(job_ids)
    assert {aws_env.job(j)["status"] for j in job_ids} == {"complete"}
    assert fake_bedrock.successful_calls_by_job() == dict.fromkeys(job_ids, 1)
    assert len(fake_bedrock.calls) == len(job_ids)
    assert aws_env.published(aws_env.alerts_inbox_url) == []
    assert aws_env.archived() == []
    assert queue_counts(aws_env) == (0, 0) and queue_counts(aws_env, "dlq") == (0, 0)


@pytest.mark.parametrize("aws_env", [{"fifo": True}], indirect=True)
def test_requeues_are_bounded_then_the_job_fails_archived_and_paged(aws_env, fake_bedrock, monkeypatch):
    monkeypatch.setenv("ARCHIVER_MAX_REQUEUES", "1")
    monkeypatch.setenv("RETRY_BASE_DELAY_SECONDS", "0")
    bedrock_jobs.reset_caches()
    body = job_body("starved-1")
    send(aws_env, body, group="tenant-1", attributes={"job_id": "starved-1", "origin": "billing"})

    def starve_until_dead_lettered() -> dict[str, Any]:
        # Invocations too short to start a model attempt: the record never reaches the model.
        for _ in range(10):
            event = receive(aws_env)
            if not event["Records"]:
                break
            response, event = run_consumer(aws_env, event, FakeLambdaContext(timeout_seconds=2))
            make_visible(aws_env, event, response)
        assert queue_counts(aws_env) == (0, 0)
        return receive(aws_env, "dlq")

    first = starve_until_dead_lettered()
    requeued, _ = run_archiver(aws_env, first)

    # Back on the main queue: same body, group and attributes, one requeue counted; the job untouched.
    assert requeued == {"batchItemFailures": []}
    assert aws_env.job("starved-1") is None
    assert aws_env.archived() == [] and aws_env.published(aws_env.alerts_inbox_url) == []
    [again] = aws_env.client("sqs").receive_message(
        QueueUrl=aws_env.queue_url,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        VisibilityTimeout=0,
    )["Messages"]
    assert json.loads(again["Body"]) == body
    assert again["Attributes"]["MessageGroupId"] == "tenant-1"
    assert again["MessageAttributes"]["origin"]["StringValue"] == "billing"
    assert again["MessageAttributes"]["job_id"]["StringValue"] == "starved-1"
    assert again["MessageAttributes"][REQUEUE_ATTRIBUTE]["StringValue"] == "1"

    second = starve_until_dead_lettered()
    [record] = second["Records"]
    failed, _ = run_archiver(aws_env, second)

    # The bound is reached: failed, archived and paged like any dead letter; never a model call.
    assert failed == {"batchItemFailures": []}
    job = aws_env.job("starved-1")
    assert job["status"] == "failed"
    assert "requeued 1 time" in job["error"]
    [entry] = aws_env.archived()
    assert entry["message_id"] == record["messageId"]
    assert json.loads(entry["body"]) == body
    [alert] = aws_env.published(aws_env.alerts_inbox_url)
    assert [f["job_id"] for f in alert["failures"]] == ["starved-1"]
    assert fake_bedrock.calls == []
    assert queue_counts(aws_env) == (0, 0) and queue_counts(aws_env, "dlq") == (0, 0)


def test_an_attempted_job_is_not_requeued(aws_env):
    attempted_job(aws_env, "tried-1", "Bedrock ThrottlingException")
    dead_letter(aws_env, job_body("tried-1"))

    run_archiver(aws_env)

    assert aws_env.job("tried-1")["status"] == "failed"
    assert queue_counts(aws_env) == (0, 0)


# -- item 15: one alert per invocation --------------------------------------------------------------
def test_a_burst_of_dead_letters_is_one_alert_listing_every_job(aws_env):
    job_ids = [f"burst-{i}" for i in range(7)]
    for job_id in job_ids:
        attempted_job(aws_env, job_id, "Bedrock ThrottlingException")
    message_ids = {dead_letter(aws_env, job_body(job_id)): job_id for job_id in job_ids}

    response, _ = run_archiver(aws_env)

    assert response == {"batchItemFailures": []}
    [alert] = aws_env.published(aws_env.alerts_inbox_url)
    assert alert["count"] == len(job_ids)
    assert {f["message_id"]: f["job_id"] for f in alert["failures"]} == message_ids
    archived = {e["message_id"]: f"s3://archive/{e['_key']}" for e in aws_env.archived()}
    assert {f["message_id"]: f["archive_uri"] for f in alert["failures"]} == archived
    assert {aws_env.job(j)["status"] for j in job_ids} == {"failed"}
    notices = aws_env.published(aws_env.results_inbox_url)
    assert sorted(n["job_id"] for n in notices) == job_ids
    assert queue_counts(aws_env, "dlq") == (0, 0)


def test_when_the_alert_cannot_be_published_every_message_stays_in_the_dlq(aws_env, aws_faults):
    job_ids = [f"unannounced-{i}" for i in range(5)]
    for job_id in job_ids:
        attempted_job(aws_env, job_id, "Bedrock ThrottlingException")
    message_ids = {dead_letter(aws_env, job_body(job_id)) for job_id in job_ids}
    aws_faults.add(service="sns", action="Publish", code="InternalError", status=500, times=None)

    response, event = run_archiver(aws_env)

    assert failed_ids(response) == message_ids
    assert sum(queue_counts(aws_env, "dlq")) == len(job_ids)
    assert aws_env.published(aws_env.alerts_inbox_url) == []
    assert {e["message_id"] for e in aws_env.archived()} == message_ids  # the bodies are safe already

    aws_faults.clear()
    make_visible(aws_env, event, response)
    retried, _ = run_archiver(aws_env)

    assert retried == {"batchItemFailures": []}
    [alert] = aws_env.published(aws_env.alerts_inbox_url)
    assert {f["message_id"] for f in alert["failures"]} == message_ids
    notices = aws_env.published(aws_env.results_inbox_url)
    assert sorted(n["job_id"] for n in notices) == job_ids  # one notice per job, none twice
    assert queue_counts(aws_env, "dlq") == (0, 0)


def test_an_alert_too_large_for_sns_is_truncated_with_a_count(aws_env):
    # A hand-built batch far larger than SNS's 256 KiB message limit could list.
    records = [
        {"messageId": f"{i:05d}-" + "m" * 90, "body": "not a job", "eventSourceARN": aws_env.dlq_arn}
        for i in range(900)
    ]
    from bedrock_jobs import dlq_archiver

    response = dlq_archiver.handler({"Records": records}, FakeLambdaContext(timeout_seconds=300))

    assert response == {"batchItemFailures": []}
    [alert] = aws_env.published(aws_env.alerts_inbox_url)
    assert alert["count"] == len(records)
    listed = alert["failures"]
    assert 0 < len(listed) < len(records)
    assert alert["omitted"] == len(records) - len(listed)
    assert len(json.dumps(alert).encode()) <= 256 * 1024
    [prefix] = alert["archive_prefixes"]
    assert prefix.startswith("s3://archive/failed/")
    assert all(f["archive_uri"].startswith(prefix) for f in listed)
    assert len(aws_env.archived()) == len(records)
