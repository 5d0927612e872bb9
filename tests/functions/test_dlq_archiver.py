"""The DLQ archiver (``bedrock_jobs.dlq_archiver.handler``) against moto, and the whole poison path
main queue → consumer retries → redrive → archiver."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

import bedrock_jobs
import pytest
from bedrock_jobs import producer
from bedrock_jobs.job_store import JobStore

from tests.conftest import AwsResources
from tests.support.http_events import parse_response, post_jobs
from tests.support.jobs import failed_ids, job_body, queue_counts, receive, run_archiver, run_consumer, send
from tests.support.lambda_events import FakeLambdaContext

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
KEY = re.compile(r"^failed/(\d{4})/(\d{2})/(\d{2})/([^/]+)\.json$")


def store(aws: AwsResources) -> JobStore:
    return JobStore(aws.table, dynamodb=aws.client("dynamodb"))


def pending_job(aws: AwsResources, job_id: str, last_error: str = "Bedrock ThrottlingException") -> None:
    """A job the consumer tried and handed back after a retryable failure.

    (A job never tried is sent back to the main queue instead: see test_archiver_guarantees.py.)
    """
    assert store(aws).create_pending(
        {"job_id": job_id, "task": "summarize", "model_id": "m", "correlation_id": f"corr-{job_id}"}
    )
    claim = store(aws).claim(job_id, 60, defaults={})
    assert store(aws).release(job_id, claim.token, last_error)


def table_ids(aws: AwsResources) -> set[str]:
    return {i["job_id"]["S"] for i in aws.client("dynamodb").scan(TableName=aws.table)["Items"]}


def dead_letter(aws: AwsResources, body: dict[str, Any] | str, job_id_attribute: str | None = None) -> str:
    attributes = {"task": "summarize"}
    if job_id_attribute:
        attributes["job_id"] = job_id_attribute
    return send(aws, body, queue_url=aws.dlq_url, attributes=attributes)


def assert_archived(aws: AwsResources, entry: dict[str, Any], message_id: str, body: str) -> None:
    match = KEY.match(entry["_key"])
    assert match, entry["_key"]
    assert match.group(4) == message_id
    assert ISO_UTC.match(entry["archived_at"])
    archived_on = datetime.fromisoformat(entry["archived_at"].replace("Z", "+00:00"))
    assert tuple(map(int, match.group(1, 2, 3))) == (archived_on.year, archived_on.month, archived_on.day)
    assert entry["message_id"] == message_id
    assert entry["body"] == body
    assert entry["source_queue"] == aws.dlq_arn
    assert entry["archived_by"] == "dlq_archiver"
    assert int(entry["attributes"]["ApproximateReceiveCount"]) >= 1
    assert "SentTimestamp" in entry["attributes"]


# -- the normal case --------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["attribute", "body"])
def test_dead_lettered_job_is_archived_failed_and_paged(aws_env, where):
    pending_job(aws_env, "job-7", last_error="Bedrock ThrottlingException")
    if where == "attribute":
        body: dict[str, Any] | str = "this body is not JSON and names no job"
        message_id = dead_letter(aws_env, body, job_id_attribute="job-7")
    else:
        body = job_body("job-7")
        message_id = dead_letter(aws_env, body)
    body_text = body if isinstance(body, str) else json.dumps(body)

    response, event = run_archiver(aws_env)

    assert response == {"batchItemFailures": []}
    [record] = event["Records"]
    receive_count = record["attributes"]["ApproximateReceiveCount"]

    [entry] = aws_env.archived()
    assert_archived(aws_env, entry, message_id, body_text)
    assert entry["job_id"] == "job-7"
    assert entry["attributes"] == record["attributes"]
    assert entry["message_attributes"]["task"]["stringValue"] == "summarize"
    if where == "attribute":
        assert entry["message_attributes"]["job_id"]["stringValue"] == "job-7"
    archive_uri = f"s3://archive/{entry['_key']}"

    job = aws_env.job("job-7")
    assert job["status"] == "failed"
    assert f"(receive count {receive_count})" in job["error"]
    assert "Bedrock ThrottlingException" in job["error"]
    assert job["archive_uri"] == archive_uri
    assert ISO_UTC.match(job["failed_at"])
    assert entry["reason"] == job["error"]

    [alert] = aws_env.published(aws_env.alerts_inbox_url)
    assert alert["job_id"] == "job-7"
    assert alert["reason"] == job["error"]
    assert alert["archive_uri"] == archive_uri
    assert alert["message_id"] == message_id
    assert alert["source_queue"] == aws_env.dlq_arn

    [notice] = aws_env.published(aws_env.results_inbox_url)
    assert notice["event"] == "job.failed"
    assert (notice["job_id"], notice["status"], notice["error"]) == ("job-7", "failed", job["error"])

    assert queue_counts(aws_env, "dlq") == (0, 0)


def test_error_without_last_error_names_the_delivery_count(aws_env, monkeypatch):
    # Claimed by an invocation that crashed without recording an error; its lease has run out.
    monkeypatch.setenv("ARCHIVER_MAX_REQUEUES", "0")  # failed at once, not sent back
    bedrock_jobs.reset_caches()
    assert store(aws_env).create_pending({"job_id": "job-8", "task": "summarize"})
    assert store(aws_env).claim("job-8", 0.001, defaults={}).token
    time.sleep(0.01)
    dead_letter(aws_env, job_body("job-8"), job_id_attribute="job-8")

    _, event = run_archiver(aws_env)

    count = event["Records"][0]["attributes"]["ApproximateReceiveCount"]
    assert (
        aws_env.job("job-8")["error"] == f"dead-lettered after 1 processing attempt (receive count {count})"
    )


def test_unknown_job_id_past_the_requeue_bound_gets_a_failed_job_record(aws_env, monkeypatch):
    monkeypatch.setenv("ARCHIVER_MAX_REQUEUES", "0")  # no requeue: failed at once
    bedrock_jobs.reset_caches()
    dead_letter(aws_env, job_body("never-submitted"))

    response, _ = run_archiver(aws_env)

    assert response == {"batchItemFailures": []}
    job = aws_env.job("never-submitted")
    assert job["status"] == "failed"
    assert job["archive_uri"].startswith("s3://archive/failed/")
    assert ISO_UTC.match(job["created_at"])


def test_complete_job_keeps_its_result_and_the_message_is_archived_without_a_page(aws_env):
    pending_job(aws_env, "job-done")
    claim = store(aws_env).claim("job-done", 60, defaults={})
    assert store(aws_env).complete(
        "job-done", claim.token, {"result": "the answer", "input_tokens": 10, "output_tokens": 3}
    )
    before = aws_env.job("job-done")
    message_id = dead_letter(aws_env, job_body("job-done"), job_id_attribute="job-done")

    response, _ = run_archiver(aws_env)

    assert response == {"batchItemFailures": []}
    assert aws_env.job("job-done") == before
    [entry] = aws_env.archived()
    assert_archived(aws_env, entry, message_id, json.dumps(job_body("job-done")))
    # A late duplicate of a finished job: nothing for on-call to do.
    assert aws_env.published(aws_env.alerts_inbox_url) == []
    assert aws_env.published(aws_env.results_inbox_url) == []  # the job did not fail
    assert queue_counts(aws_env, "dlq") == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        "<xml>not json</xml>",
        json.dumps({"task": "summarize", "document": "no job id here"}),
        json.dumps(["a", "list"]),
        json.dumps({"job_id": "not a valid id!", "task": "summarize", "document": "x"}),
        "",
    ],
    ids=["not-json", "no-job-id", "json-list", "invalid-job-id", "empty"],
)
def test_message_without_a_job_id_is_archived_and_paged_without_a_job(aws_env, body):
    if not body:
        body = " "  # SQS refuses an empty body; a blank one is the closest
    message_id = dead_letter(aws_env, body)

    response, _ = run_archiver(aws_env)

    assert response == {"batchItemFailures": []}
    [entry] = aws_env.archived()
    assert_archived(aws_env, entry, message_id, body)
    assert entry["job_id"] is None
    [alert] = aws_env.published(aws_env.alerts_inbox_url)
    assert alert["job_id"] is None
    assert alert["message_id"] == message_id
    assert alert["archive_uri"] == f"s3://archive/{entry['_key']}"
    assert table_ids(aws_env) == set()
    assert queue_counts(aws_env, "dlq") == (0, 0)


def test_unusable_job_id_attribute_does_not_block_the_message(aws_env):
    # A key DynamoDB cannot store (> 2048 bytes): the message must still be archived, paged and removed.
    huge = "j" * 3000
    message_id = dead_letter(aws_env, "opaque body", job_id_attribute=huge)

    response, _ = run_archiver(aws_env)

    assert response == {"batchItemFailures": []}
    [entry] = aws_env.archived()
    assert entry["message_id"] == message_id
    assert len(aws_env.published(aws_env.alerts_inbox_url)) == 1
    assert table_ids(aws_env) == set()
    assert queue_counts(aws_env, "dlq") == (0, 0)


def test_a_batch_archives_every_message_under_its_own_key(aws_env):
    ids = [f"job-{i}" for i in range(6)]
    for job_id in ids:
        pending_job(aws_env, job_id)
    message_ids = {dead_letter(aws_env, job_body(job_id), job_id_attribute=job_id) for job_id in ids}

    response, event = run_archiver(aws_env)

    assert len(event["Records"]) == 6
    assert response == {"batchItemFailures": []}
    archived = aws_env.archived()
    assert {KEY.match(e["_key"]).group(4) for e in archived} == message_ids
    assert {e["job_id"] for e in archived} == set(ids)
    assert {aws_env.job(j)["status"] for j in ids} == {"failed"}
    [alert] = aws_env.published(aws_env.alerts_inbox_url)  # one alert for the batch
    assert sorted(f["job_id"] for f in alert["failures"]) == ids
    assert queue_counts(aws_env, "dlq") == (0, 0)


# -- failures keep the message in the DLQ ---------------------------------------------------------
def _missing_archive_bucket(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> None:
    aws.client("s3").delete_bucket(Bucket=aws.archive_bucket)


def _archive_bucket_env_points_nowhere(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_BUCKET", "no-such-archive-bucket")
    bedrock_jobs.reset_caches()


@pytest.mark.parametrize(
    "break_archive",
    [_missing_archive_bucket, _archive_bucket_env_points_nowhere],
    ids=["bucket-deleted", "bucket-misconfigured"],
)
def test_archive_failure_keeps_the_message_in_the_dlq_and_sends_no_alert(aws_env, monkeypatch, break_archive):
    pending_job(aws_env, "job-9")
    ok_message = dead_letter(aws_env, job_body("job-9"), job_id_attribute="job-9")
    break_archive(aws_env, monkeypatch)

    response, _ = run_archiver(aws_env)

    assert failed_ids(response) == {ok_message}
    assert sum(queue_counts(aws_env, "dlq")) == 1  # still there (in flight until its visibility ends)
    assert aws_env.published(aws_env.alerts_inbox_url) == []
    assert aws_env.job("job-9")["status"] == "pending"  # nothing recorded without an archive


def test_page_failure_keeps_the_message_in_the_dlq(aws_env):
    pending_job(aws_env, "job-10")
    message_id = dead_letter(aws_env, job_body("job-10"))
    aws_env.client("sns").delete_topic(TopicArn=aws_env.alerts_topic_arn)

    response, _ = run_archiver(aws_env)

    assert failed_ids(response) == {message_id}
    assert sum(queue_counts(aws_env, "dlq")) == 1
    # The archive object exists, so a retry (or an operator) finds the body either way.
    [entry] = aws_env.archived()
    assert entry["message_id"] == message_id


def test_archived_message_after_a_failed_attempt_is_archived_again_on_retry(aws_env):
    pending_job(aws_env, "job-11")
    message_id = dead_letter(aws_env, job_body("job-11"))
    aws_env.client("sns").delete_topic(TopicArn=aws_env.alerts_topic_arn)
    first, event = run_archiver(aws_env)
    assert failed_ids(first) == {message_id}

    # The topic is back (an operator fixed it); the message becomes visible again and is archived.
    topic = aws_env.client("sns").create_topic(Name="alerts")["TopicArn"]
    inbox_arn = aws_env.client("sqs").get_queue_attributes(
        QueueUrl=aws_env.alerts_inbox_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    aws_env.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    aws_env.client("sqs").change_message_visibility(
        QueueUrl=aws_env.dlq_url, ReceiptHandle=event["Records"][0]["receiptHandle"], VisibilityTimeout=0
    )
    second, _ = run_archiver(aws_env)

    assert second == {"batchItemFailures": []}
    assert [a["job_id"] for a in aws_env.published(aws_env.alerts_inbox_url)] == ["job-11"]
    assert aws_env.job("job-11")["status"] == "failed"
    assert queue_counts(aws_env, "dlq") == (0, 0)


# -- the whole path ------------------------------------------------------------------------------
def test_poison_job_is_retried_redriven_archived_failed_and_paged(aws_env, fake_bedrock, monkeypatch):
    monkeypatch.setenv("RETRY_BASE_DELAY_SECONDS", "0")  # backoff 0: the message is visible at once
    bedrock_jobs.reset_caches()
    max_receive_count = 3
    attempts_per_delivery = int(bedrock_jobs.config.get_settings().bedrock_max_attempts)
    document = "Quarterly numbers. POISON pill inside. More text."

    response = producer.handler(
        post_jobs({"task": "summarize", "document": document}),
        FakeLambdaContext(timeout_seconds=10, function_name="bedrock-jobs-producer"),
    )
    status, accepted = parse_response(response)
    assert status == 202
    job_id = accepted["job_id"]

    consumer_runs = []
    for _ in range(max_receive_count + 3):
        event = receive(aws_env)
        if not event["Records"]:
            break
        result, _ = run_consumer(aws_env, event)
        consumer_runs.append((event, result))
        # Between deliveries the job is handed back, not stuck in "processing".
        assert aws_env.job(job_id)["status"] == "pending"

    assert len(consumer_runs) == max_receive_count
    for n, (event, result) in enumerate(consumer_runs, start=1):
        [record] = event["Records"]
        assert int(record["attributes"]["ApproximateReceiveCount"]) == n
        assert failed_ids(result) == {record["messageId"]}
    calls = fake_bedrock.calls_for(job_id)
    assert len(calls) == max_receive_count * attempts_per_delivery
    assert {(c.status, c.outcome) for c in calls} == {(500, "error")}
    assert queue_counts(aws_env) == (0, 0)  # redriven, not lost

    archived_response, dlq_event = run_archiver(aws_env)

    [record] = dlq_event["Records"]
    assert archived_response == {"batchItemFailures": []}
    assert json.loads(record["body"])["document"] == document
    [entry] = aws_env.archived()
    assert json.loads(entry["body"])["job_id"] == job_id
    assert json.loads(entry["body"])["document"] == document
    assert entry["message_attributes"]["job_id"]["stringValue"] == job_id
    job = aws_env.job(job_id)
    assert job["status"] == "failed"
    assert (
        f"dead-lettered after {max_receive_count} processing attempts "
        f"(receive count {record['attributes']['ApproximateReceiveCount']})"
    ) in job["error"]
    assert "InternalServerException" in job["error"]  # the consumer's last error
    assert job["archive_uri"] == f"s3://archive/{entry['_key']}"
    assert "result" not in job
    alerts = aws_env.published(aws_env.alerts_inbox_url)
    assert [(a["job_id"], a["archive_uri"]) for a in alerts] == [(job_id, job["archive_uri"])]
    notices = aws_env.published(aws_env.results_inbox_url)
    assert [(n["job_id"], n["status"]) for n in notices] == [(job_id, "failed")]
    assert queue_counts(aws_env, "dlq") == (0, 0)
    assert len(fake_bedrock.calls_for(job_id)) == max_receive_count * attempts_per_delivery  # no more calls


@pytest.mark.parametrize("aws_env", [{"fifo": True}], indirect=True)
def test_fifo_dlq_message_is_archived(aws_env):
    assert aws_env.dlq_url.endswith(".fifo")
    pending_job(aws_env, "job-fifo")
    message_id = send(
        aws_env,
        job_body("job-fifo"),
        queue_url=aws_env.dlq_url,
        group="tenant-1",
        attributes={"job_id": "job-fifo"},
    )

    response, _ = run_archiver(aws_env)

    assert response == {"batchItemFailures": []}
    [entry] = aws_env.archived()
    assert entry["message_id"] == message_id
    assert entry["attributes"]["MessageGroupId"] == "tenant-1"
    assert aws_env.job("job-fifo")["status"] == "failed"
    assert queue_counts(aws_env, "dlq") == (0, 0)
