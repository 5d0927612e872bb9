"""Input the producer and the consumer must refuse cleanly (issue 8, "Bad input" items 7 and 8).

Through the handlers, against moto and the fake Bedrock: every rejected request gets a 4xx with
``{"error"}`` and leaves nothing in the table or on the queue; a message naming a model outside the
allowed set fails its job without a model call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from bedrock_jobs import producer

from tests.conftest import AwsResources
from tests.support.http_events import parse_response, post_jobs
from tests.support.jobs import job_body, queue_counts, run_archiver, run_consumer, send
from tests.support.lambda_events import FakeLambdaContext


def call(event: Any) -> tuple[int, dict[str, Any]]:
    response = producer.handler(
        event, FakeLambdaContext(timeout_seconds=10, function_name="bedrock-jobs-producer")
    )
    return parse_response(response)


def nothing_stored(aws: AwsResources) -> None:
    items = aws.client("dynamodb").scan(TableName=aws.table, ConsistentRead=True)["Items"]
    assert items == []
    assert queue_counts(aws)[0] == 0


def deep(levels: int) -> str:
    return '{"task": "summarize", "document": "x", "metadata": {"a": ' + "[" * levels + "]" * levels + "}}"


RAW_BODIES = [
    pytest.param('{"task": "summarize", "document": "x", "metadata": {"n": NaN}}', "NaN", id="nan"),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"n": Infinity}}', "Infinity", id="infinity"
    ),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"n": -Infinity}}', "Infinity", id="-infinity"
    ),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"n": 1e400}}', "out of range", id="1e400"
    ),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"n": 1e200}}', "out of range", id="1e200"
    ),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"n": ' + "9" * 39 + "}}",
        "38 digits",
        id="39-digits",
    ),
    pytest.param('{"task": "summarize", "document": "x\\ud800y"}', "Unicode", id="lone-surrogate-document"),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"\\udfff": 1}}',
        "Unicode",
        id="lone-surrogate-key",
    ),
    pytest.param(deep(40), "deeper", id="deep-40"),
    pytest.param(deep(100_000), "deeper", id="deep-100000"),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"message_group_id": "has space"}}',
        "message_group_id",
        id="group-id-space",
    ),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"message_group_id": "' + "g" * 129 + '"}}',
        "message_group_id",
        id="group-id-129",
    ),
    pytest.param(
        '{"task": "summarize", "document": "x", "metadata": {"message_group_id": 7}}',
        "message_group_id",
        id="group-id-number",
    ),
    pytest.param(
        '{"task": "summarize", "document": "x", "model_id": "anthropic.claude-opus-9"}',
        "not allowed",
        id="model-not-allowed",
    ),
]


@pytest.mark.parametrize(("body", "reason"), RAW_BODIES)
def test_bad_requests_get_a_4xx_and_store_nothing(aws_env: AwsResources, body: str, reason: str) -> None:
    status, answer = call(post_jobs(body))
    assert status == 400, answer
    assert reason in answer["error"]
    nothing_stored(aws_env)


def test_the_numbers_a_job_can_carry_are_accepted(aws_env: AwsResources) -> None:
    body = (
        '{"task": "summarize", "document": "x", "metadata": {"n": '
        + "9" * 38
        + ', "f": 1.5e100, "g": -2.5e-120}}'
    )
    status, answer = call(post_jobs(body))
    assert status == 202, answer


@pytest.mark.parametrize(
    "model_id", ["anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0", "my-profile"]
)
def test_models_in_the_allowed_set_are_accepted(aws_env: AwsResources, model_id: str) -> None:
    status, answer = call(post_jobs({"task": "summarize", "document": "x", "model_id": model_id}))
    assert status == 202, answer


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="empty"),
        pytest.param({"task": "summarize", "document": "x"}, id="job-as-event"),
        pytest.param({"Records": [{"body": "{}"}]}, id="sqs-event"),
        pytest.param({"version": "1.0", "httpMethod": "POST", "path": "/jobs"}, id="rest-api-v1"),
        pytest.param([1, 2], id="not-an-object"),
        pytest.param(None, id="null"),
    ],
)
def test_a_direct_invoke_gets_the_error_shape(aws_env: AwsResources, event: Any) -> None:
    status, answer = call(event)
    assert status == 400
    assert "not an HTTP request" in answer["error"]
    nothing_stored(aws_env)


def test_consumer_fails_a_message_naming_a_model_outside_the_set(aws_env: AwsResources, fake_bedrock) -> None:
    send(aws_env, job_body("job-m", model_id="anthropic.claude-opus-9"))
    run_consumer(aws_env)
    job = aws_env.client("dynamodb").get_item(TableName=aws_env.table, Key={"job_id": {"S": "job-m"}})["Item"]
    assert job["status"]["S"] == "failed"
    assert "not allowed" in job["error"]["S"]
    assert fake_bedrock.calls == [], "no model call for a model outside the allowed set"


def test_direct_invoke_body_is_json(aws_env: AwsResources) -> None:
    response = producer.handler({"source": "aws.events"})
    assert json.loads(response["body"]) == {"error": producer.NOT_HTTP_MESSAGE}


# -- bodies that crash a recursive parser, and raw EventBridge events (issue 8, items 2 and 12) ---------

DEEP_BODY = "[" * 100_000 + "]" * 100_000


def archived_bodies(aws: AwsResources) -> list[str]:
    s3 = aws.client("s3")
    listed = s3.list_objects_v2(Bucket=aws.archive_bucket, Prefix="failed/").get("Contents", [])
    return [
        json.loads(s3.get_object(Bucket=aws.archive_bucket, Key=o["Key"])["Body"].read())["body"]
        for o in listed
    ]


def test_consumer_archives_a_body_too_deep_to_parse(aws_env: AwsResources, fake_bedrock) -> None:
    send(aws_env, DEEP_BODY)
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == [], "a body that can never be a job is not retried"
    assert archived_bodies(aws_env) == [DEEP_BODY]
    assert queue_counts(aws_env) == (0, 0)
    assert fake_bedrock.calls == []


def test_archiver_archives_and_pages_a_body_too_deep_to_parse(aws_env: AwsResources) -> None:
    send(aws_env, DEEP_BODY, queue_url=aws_env.dlq_url)
    response, _ = run_archiver(aws_env)
    assert response["batchItemFailures"] == []
    assert archived_bodies(aws_env) == [DEEP_BODY]
    assert queue_counts(aws_env, "dlq") == (0, 0)


def test_a_raw_event_that_fails_validation_fails_the_job_it_names(
    aws_env: AwsResources, fake_bedrock
) -> None:
    # The producer (or anyone) made the job; an event carrying its id in detail.job_id is malformed.
    assert producer_store(aws_env).create_pending({"job_id": "real-1", "task": "summarize"})
    event = {"id": "evt-1", "source": "acme.docs", "detail-type": "Document", "detail": {"job_id": "real-1"}}
    send(aws_env, event)
    run_consumer(aws_env)
    items = {i["job_id"]["S"]: i for i in aws_env.client("dynamodb").scan(TableName=aws_env.table)["Items"]}
    assert set(items) == {"real-1"}, "no phantom job under the event id"
    assert items["real-1"]["status"]["S"] == "failed"


def producer_store(aws: AwsResources):
    from bedrock_jobs.job_store import JobStore

    return JobStore(aws.table, dynamodb=aws.client("dynamodb"))


# -- documents read from S3 are bounded (issue 8, item 10) ---------------------------------------------


@pytest.mark.parametrize("size", [1_001, 5_000_000])
def test_an_s3_document_over_the_limit_fails_without_a_model_call(
    aws_env: AwsResources, fake_bedrock, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    import bedrock_jobs

    monkeypatch.setenv("MAX_DOCUMENT_BYTES", "1000")
    bedrock_jobs.reset_caches()
    aws_env.client("s3").put_object(Bucket=aws_env.payload_bucket, Key="uploads/big.txt", Body=b"x" * size)
    send(
        aws_env,
        {
            "job_id": "job-big",
            "task": "summarize",
            "document_uri": f"s3://{aws_env.payload_bucket}/uploads/big.txt",
        },
    )
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    job = aws_env.client("dynamodb").get_item(TableName=aws_env.table, Key={"job_id": {"S": "job-big"}})[
        "Item"
    ]
    assert job["status"]["S"] == "failed"
    assert "limit" in job["error"]["S"]
    assert fake_bedrock.calls == []


def test_an_s3_document_at_the_limit_is_processed(
    aws_env: AwsResources, fake_bedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bedrock_jobs

    monkeypatch.setenv("MAX_DOCUMENT_BYTES", "1000")
    bedrock_jobs.reset_caches()
    aws_env.client("s3").put_object(Bucket=aws_env.payload_bucket, Key="uploads/ok.txt", Body=b"y" * 1000)
    send(
        aws_env,
        {
            "job_id": "job-ok",
            "task": "summarize",
            "document_uri": f"s3://{aws_env.payload_bucket}/uploads/ok.txt",
        },
    )
    run_consumer(aws_env)
    job = aws_env.client("dynamodb").get_item(TableName=aws_env.table, Key={"job_id": {"S": "job-ok"}})[
        "Item"
    ]
    assert job["status"]["S"] == "complete"
