"""The jobs HTTP API (``bedrock_jobs.producer.handler``) against moto, end to end with the consumer."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from bedrock_jobs import producer
from bedrock_jobs.job_store import JobStore
from bedrock_jobs_local.fake_bedrock import summarize

from tests.conftest import AwsResources
from tests.support.http_events import get_job, http_event, parse_response, post_jobs
from tests.support.jobs import queue_counts, run_consumer, set_env
from tests.support.lambda_events import FakeLambdaContext

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
INTERNAL_FIELDS = ("claim_token", "lease_expires_at", "request_sha256", "expires_at")
DOCUMENT = "The quarterly report shows revenue up 12%. Costs fell. The board approved the plan."


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, Any]]:
    context = FakeLambdaContext(timeout_seconds=10, function_name="bedrock-jobs-producer")
    response = producer.handler(event, context)
    status, body = parse_response(response)
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return status, body, headers


def submit(body: Any, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    return call(post_jobs(body, **kwargs))


def table_items(aws: AwsResources) -> list[dict[str, Any]]:
    from bedrock_jobs.job_store import _from_item

    items = aws.client("dynamodb").scan(TableName=aws.table, ConsistentRead=True)["Items"]
    return [_from_item(i) for i in items]


def drain(aws: AwsResources, queue_url: str | None = None) -> list[dict[str, Any]]:
    """Every message on the queue (received, so they turn invisible), with all attributes."""
    sqs = aws.client("sqs")
    out: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url or aws.queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return out
        out.extend(batch)


def payload_keys(aws: AwsResources) -> list[str]:
    contents = aws.client("s3").list_objects_v2(Bucket=aws.payload_bucket).get("Contents", [])
    return [o["Key"] for o in contents]


def attrs(message: dict[str, Any]) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in (message.get("MessageAttributes") or {}).items()}


def assert_nothing_stored(aws: AwsResources) -> None:
    assert table_items(aws) == []
    assert queue_counts(aws) == (0, 0)
    assert payload_keys(aws) == []


# -- POST /jobs: accepted --------------------------------------------------------------------------
def test_post_summarize_stores_pending_job_and_enqueues_one_message(aws_env):
    status, body, headers = submit(
        {"task": "summarize", "document": DOCUMENT}, headers={"X-Correlation-Id": "corr-123"}
    )

    assert status == 202
    assert set(body) == {"job_id", "status"}
    assert body["status"] == "pending"
    job_id = body["job_id"]
    assert headers["location"] == f"/jobs/{job_id}"
    assert headers["x-correlation-id"] == "corr-123"

    items = table_items(aws_env)
    assert len(items) == 1
    job = items[0]
    assert job["job_id"] == job_id
    assert job["status"] == "pending"
    assert job["task"] == "summarize"
    assert job["correlation_id"] == "corr-123"
    assert ISO_UTC.match(job["created_at"]), job["created_at"]
    assert job["model_id"] == "anthropic.claude-3-haiku-20240307-v1:0"  # MODEL_ID default
    assert "document_uri" not in job

    messages = drain(aws_env)
    assert len(messages) == 1
    message_body = json.loads(messages[0]["Body"])
    assert message_body["job_id"] == job_id
    assert message_body["task"] == "summarize"
    assert message_body["document"] == DOCUMENT
    assert "document_uri" not in message_body
    assert message_body["correlation_id"] == "corr-123"
    assert ISO_UTC.match(message_body["submitted_at"])
    assert attrs(messages[0]) == {"job_id": job_id, "task": "summarize", "correlation_id": "corr-123"}


def test_correlation_id_is_generated_when_no_header_is_given(aws_env):
    status, body, headers = submit({"task": "summarize", "document": DOCUMENT})

    assert status == 202
    generated = headers["x-correlation-id"]
    assert str(uuid.UUID(generated)) == generated
    assert generated != body["job_id"]
    assert aws_env.job(body["job_id"])["correlation_id"] == generated
    [message] = drain(aws_env)
    assert attrs(message)["correlation_id"] == generated
    assert json.loads(message["Body"])["correlation_id"] == generated


def test_generated_correlation_ids_differ_per_request(aws_env):
    first = submit({"task": "summarize", "document": DOCUMENT})[2]["x-correlation-id"]
    second = submit({"task": "summarize", "document": DOCUMENT})[2]["x-correlation-id"]
    assert first != second


def test_overlong_correlation_header_is_truncated_to_128_characters(aws_env):
    status, body, _ = submit(
        {"task": "summarize", "document": DOCUMENT}, headers={"x-correlation-id": "c" * 300}
    )
    assert status == 202
    assert aws_env.job(body["job_id"])["correlation_id"] == "c" * 128


def test_base64_encoded_body_is_accepted(aws_env):
    document = "Grüße aus Köln. Das Wetter ist schön."
    status, body, _ = submit({"task": "summarize", "document": document}, base64_body=True)

    assert status == 202
    [message] = drain(aws_env)
    assert json.loads(message["Body"])["document"] == document
    assert aws_env.job(body["job_id"])["document_bytes"] == len(document.encode("utf-8"))


def test_classify_labels_model_id_and_metadata_pass_through(aws_env):
    metadata = {"tenant": "acme", "priority": 2, "score": 0.75, "tags": ["a", "b"], "nested": {"k": True}}
    status, body, _ = submit(
        {
            "task": "classify",
            "document": "Invoice overdue, please pay the invoice.",
            "labels": ["invoice", "complaint", " spam "],
            "model_id": "amazon.nova-lite-v1:0",
            "metadata": metadata,
        }
    )

    assert status == 202
    [message] = drain(aws_env)
    message_body = json.loads(message["Body"])
    assert message_body["task"] == "classify"
    assert message_body["labels"] == ["invoice", "complaint", "spam"]  # labels are trimmed
    assert message_body["model_id"] == "amazon.nova-lite-v1:0"
    assert message_body["metadata"] == metadata
    assert attrs(message)["task"] == "classify"

    job = aws_env.job(body["job_id"])
    assert job["labels"] == ["invoice", "complaint", "spam"]
    assert job["model_id"] == "amazon.nova-lite-v1:0"
    assert job["metadata"] == metadata  # floats survive the DynamoDB Decimal round trip


def test_configured_task_is_accepted(aws_env, monkeypatch):
    set_env(
        monkeypatch,
        TASKS_CONFIG=json.dumps(
            {"translate": {"user_template": "Translate to French:\n<document>\n{document}\n</document>"}}
        ),
    )

    status, body, _ = submit({"task": "translate", "document": "Good morning."})

    assert status == 202
    assert aws_env.job(body["job_id"])["task"] == "translate"
    [message] = drain(aws_env)
    assert json.loads(message["Body"])["task"] == "translate"


def test_document_of_exactly_the_byte_limit_is_accepted(aws_env, monkeypatch):
    set_env(monkeypatch, MAX_DOCUMENT_BYTES="50")
    status, _, _ = submit({"task": "summarize", "document": "é" * 25})  # 50 UTF-8 bytes
    assert status == 202
    assert queue_counts(aws_env) == (1, 0)


# -- POST /jobs: rejected --------------------------------------------------------------------------
BAD_REQUESTS = [
    pytest.param("{not json", 400, ["json"], id="not-json"),
    pytest.param(None, 400, ["json"], id="no-body"),
    pytest.param("", 400, ["json"], id="empty-body"),
    pytest.param([{"task": "summarize", "document": "x"}], 400, ["json object"], id="json-array"),
    pytest.param("null", 400, ["json object"], id="json-null"),
    pytest.param('"summarize"', 400, ["json object"], id="json-string"),
    pytest.param({"document": "text"}, 400, ["'task'"], id="missing-task"),
    pytest.param({"task": 5, "document": "text"}, 400, ["'task'", "string"], id="task-not-string"),
    pytest.param({"task": ["summarize"], "document": "text"}, 400, ["'task'"], id="task-list"),
    pytest.param({"task": "", "document": "text"}, 400, ["'task'"], id="task-empty"),
    pytest.param(
        {"task": "translate", "document": "text"},
        400,
        ["unknown task", "translate", "summarize", "classify"],
        id="unknown-task",
    ),
    pytest.param({"task": "summarize"}, 400, ["'document'"], id="missing-document"),
    pytest.param({"task": "summarize", "document": 42}, 400, ["'document'", "string"], id="document-number"),
    pytest.param({"task": "summarize", "document": {"text": "x"}}, 400, ["'document'"], id="document-object"),
    pytest.param({"task": "summarize", "document": None}, 400, ["'document'"], id="document-null"),
    pytest.param({"task": "summarize", "document": ""}, 400, ["'document'", "empty"], id="empty-document"),
    pytest.param(
        {"task": "summarize", "document": " \n\t "}, 400, ["'document'", "empty"], id="whitespace-document"
    ),
    pytest.param(
        {"task": "classify", "document": "text", "labels": "a,b"},
        400,
        ["'labels'", "list"],
        id="labels-string",
    ),
    pytest.param(
        {"task": "classify", "document": "text", "labels": ["a", 1]},
        400,
        ["'labels'"],
        id="labels-non-string",
    ),
    pytest.param(
        {"task": "classify", "document": "text", "labels": ["a", "  "]},
        400,
        ["'labels'"],
        id="labels-blank-entry",
    ),
    pytest.param(
        {"task": "classify", "document": "text", "labels": [f"l{i}" for i in range(101)]},
        400,
        ["'labels'", "100"],
        id="too-many-labels",
    ),
    pytest.param(
        {"task": "classify", "document": "text"}, 400, ["classify", "'labels'"], id="classify-no-labels"
    ),
    pytest.param(
        {"task": "classify", "document": "text", "labels": []},
        400,
        ["classify", "'labels'"],
        id="classify-empty-labels",
    ),
    pytest.param(
        {"task": "summarize", "document": "text", "metadata": "x"},
        400,
        ["'metadata'", "object"],
        id="metadata-string",
    ),
    pytest.param(
        {"task": "summarize", "document": "text", "metadata": [1, 2]}, 400, ["'metadata'"], id="metadata-list"
    ),
    pytest.param(
        {"task": "summarize", "document": "text", "metadata": {"blob": "x" * 9000}},
        400,
        ["'metadata'", "bytes"],
        id="metadata-too-large",
    ),
    pytest.param(
        {"task": "summarize", "document": "text", "model_id": 7},
        400,
        ["'model_id'"],
        id="model-id-not-string",
    ),
    pytest.param(
        {"task": "summarize", "document": "text", "model_id": ""}, 400, ["'model_id'"], id="model-id-empty"
    ),
    pytest.param(
        {"task": "summarize", "document": "text", "idempotency_key": 12},
        400,
        ["'idempotency_key'"],
        id="idempotency-key-not-string",
    ),
    pytest.param(
        {"task": "summarize", "document": "text", "idempotency_key": "k" * 257},
        400,
        ["'idempotency_key'"],
        id="idempotency-key-too-long",
    ),
    pytest.param(
        {"task": "summarize", "document": "text", "priority": "high"},
        400,
        ["unknown field", "priority"],
        id="unknown-field",
    ),
]


@pytest.mark.parametrize(("payload", "expected_status", "fragments"), BAD_REQUESTS)
def test_bad_input_is_rejected_and_nothing_is_stored(aws_env, payload, expected_status, fragments):
    status, body, _ = submit(payload)

    assert status == expected_status
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
    for fragment in fragments:
        assert fragment.lower() in body["error"].lower(), body["error"]
    assert_nothing_stored(aws_env)


def test_invalid_base64_body_is_rejected(aws_env):
    event = post_jobs("{}")
    event["body"], event["isBase64Encoded"] = "***not base64***", True
    status, body, _ = call(event)
    assert status == 400
    assert "json" in body["error"].lower()
    assert_nothing_stored(aws_env)


def test_oversized_document_is_rejected_with_413(aws_env, monkeypatch):
    set_env(monkeypatch, MAX_DOCUMENT_BYTES="50")

    status, body, _ = submit({"task": "summarize", "document": "é" * 26})  # 52 UTF-8 bytes

    assert status == 413
    assert "'document'" in body["error"]
    assert "52 bytes" in body["error"]
    assert "50" in body["error"]
    assert_nothing_stored(aws_env)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("DELETE", "/jobs/x"),
        ("PUT", "/jobs"),
        ("GET", "/jobs"),
        ("POST", "/jobs/abc"),
        ("PATCH", "/jobs/abc"),
        ("GET", "/"),
    ],
)
def test_unknown_route_is_a_json_404(aws_env, method, path):
    status, body, _ = call(
        http_event(
            method,
            path,
            {"task": "summarize", "document": "x"} if method in ("POST", "PUT", "PATCH") else None,
        )
    )

    assert status == 404
    assert set(body) == {"error"}
    assert method in body["error"]
    assert path in body["error"]
    assert_nothing_stored(aws_env)


# -- GET /jobs/{job_id} ----------------------------------------------------------------------------
def test_get_pending_job(aws_env):
    _, created, _ = submit(
        {"task": "summarize", "document": DOCUMENT, "idempotency_key": "order-1"},
        headers={"x-correlation-id": "corr-9"},
    )

    status, body, _ = call(get_job(created["job_id"]))

    assert status == 200
    assert body["job_id"] == created["job_id"]
    assert body["status"] == "pending"
    assert body["task"] == "summarize"
    assert body["correlation_id"] == "corr-9"
    assert ISO_UTC.match(body["created_at"])
    assert "result" not in body
    # request_sha256 is stored (it guards the idempotency key) but never shown.
    assert "request_sha256" in aws_env.job(created["job_id"])
    for name in INTERNAL_FIELDS:
        assert name not in body


def test_get_processing_job_hides_the_lease(aws_env):
    _, created, _ = submit({"task": "summarize", "document": DOCUMENT})
    store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    claim = store.claim(created["job_id"], 60, defaults={})
    assert claim.token
    assert {"claim_token", "lease_expires_at"} <= set(aws_env.job(created["job_id"]))

    status, body, _ = call(get_job(created["job_id"]))

    assert status == 200
    assert body["status"] == "processing"
    for name in INTERNAL_FIELDS:
        assert name not in body


def test_get_after_consumer_shows_complete_job_with_result(aws_env, fake_bedrock):
    _, created, _ = submit({"task": "summarize", "document": DOCUMENT})
    job_id = created["job_id"]

    response, event = run_consumer(aws_env)
    assert len(event["Records"]) == 1
    assert response == {"batchItemFailures": []}

    status, body, _ = call(get_job(job_id))
    assert status == 200
    assert body["status"] == "complete"
    assert body["result"] == summarize(DOCUMENT)
    assert body["input_tokens"] > 0
    assert body["output_tokens"] > 0
    assert ISO_UTC.match(body["completed_at"])
    for name in INTERNAL_FIELDS:
        assert name not in body
    assert [c.job_id for c in fake_bedrock.calls] == [job_id]
    assert queue_counts(aws_env) == (0, 0)


def test_classify_job_completes_with_one_of_its_labels(aws_env, fake_bedrock):
    _, created, _ = submit(
        {
            "task": "classify",
            "document": "Refund my order, the parcel never arrived.",
            "labels": ["billing", "refund request", "spam"],
        }
    )
    run_consumer(aws_env)

    status, body, _ = call(get_job(created["job_id"]))
    assert status == 200
    assert body["status"] == "complete"
    assert body["result"] == "refund request"
    assert body["labels"] == ["billing", "refund request", "spam"]


def test_get_large_result_returns_result_uri_and_presigned_url(aws_env, fake_bedrock, monkeypatch):
    set_env(monkeypatch, INLINE_RESULT_MAX_BYTES="10")
    _, created, _ = submit({"task": "summarize", "document": DOCUMENT})
    job_id = created["job_id"]
    run_consumer(aws_env)

    status, body, _ = call(get_job(job_id))

    assert status == 200
    assert body["status"] == "complete"
    assert "result" not in body
    assert body["result_uri"] == f"s3://payloads/results/{job_id}.txt"
    assert body["result_url"].startswith("http")
    assert f"results/{job_id}.txt" in body["result_url"]
    stored = aws_env.client("s3").get_object(Bucket="payloads", Key=f"results/{job_id}.txt")["Body"].read()
    assert stored.decode() == summarize(DOCUMENT)


@pytest.mark.parametrize("job_id", [str(uuid.uuid4()), "x" * 200, "has space", "semi;colon"])
def test_get_unknown_job_is_404(aws_env, job_id):
    submit({"task": "summarize", "document": DOCUMENT})  # some other job exists

    status, body, _ = call(get_job(job_id))

    assert status == 404
    assert set(body) == {"error"}
    assert "not found" in body["error"]


# -- large documents -------------------------------------------------------------------------------
def test_large_document_goes_to_the_payload_bucket_and_completes(aws_env, fake_bedrock, monkeypatch):
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="64")
    document = " ".join(["Sentence number one is here."] * 3) + " " + "Filler words. " * 20
    assert len(document.encode()) > 64

    status, created, _ = submit({"task": "summarize", "document": document})

    assert status == 202
    job_id = created["job_id"]
    assert payload_keys(aws_env) == [f"documents/{job_id}"]
    stored = aws_env.client("s3").get_object(Bucket="payloads", Key=f"documents/{job_id}")["Body"].read()
    assert stored.decode("utf-8") == document
    job = aws_env.job(job_id)
    assert job["document_uri"] == f"s3://payloads/documents/{job_id}"
    assert job["document_bytes"] == len(document.encode())

    # The message carries the URI instead of the text; peek and make it visible again for the consumer.
    sqs = aws_env.client("sqs")
    [message] = drain(aws_env)
    body = json.loads(message["Body"])
    assert body["document_uri"] == f"s3://payloads/documents/{job_id}"
    assert "document" not in body
    sqs.change_message_visibility(
        QueueUrl=aws_env.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )

    response, event = run_consumer(aws_env)
    assert len(event["Records"]) == 1
    assert response == {"batchItemFailures": []}
    done = aws_env.job(job_id)
    assert done["status"] == "complete"
    assert done["result"] == summarize(document)
    [model_call] = fake_bedrock.calls_for(job_id)
    assert model_call.document == document[:200]


def test_document_at_the_inline_limit_stays_inline(aws_env, monkeypatch):
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="64")
    status, _, _ = submit({"task": "summarize", "document": "d" * 64})
    assert status == 202
    assert payload_keys(aws_env) == []
    [message] = drain(aws_env)
    assert json.loads(message["Body"])["document"] == "d" * 64


# -- enqueue failures leave nothing behind ---------------------------------------------------------
def missing_queue_url(aws: AwsResources) -> str:
    return aws.queue_url.rsplit("/", 1)[0] + "/no-such-queue"


def test_enqueue_failure_is_503_and_leaves_no_job(aws_env, monkeypatch):
    set_env(monkeypatch, QUEUE_URL=missing_queue_url(aws_env))

    status, body, _ = submit({"task": "summarize", "document": DOCUMENT})

    assert 500 <= status < 600
    assert set(body) == {"error"}
    assert "queue" in body["error"]
    assert_nothing_stored(aws_env)


def test_enqueue_failure_of_a_large_document_removes_the_uploaded_document(aws_env, monkeypatch):
    set_env(monkeypatch, QUEUE_URL=missing_queue_url(aws_env), INLINE_DOCUMENT_MAX_BYTES="16")

    status, body, _ = submit({"task": "summarize", "document": "A long enough document. " * 10})

    assert 500 <= status < 600
    assert "error" in body
    assert_nothing_stored(aws_env)


def test_deleted_queue_is_503_and_leaves_no_job(aws_env):
    aws_env.client("sqs").delete_queue(QueueUrl=aws_env.queue_url)

    status, body, _ = submit({"task": "summarize", "document": DOCUMENT})

    assert 500 <= status < 600
    assert "error" in body
    assert table_items(aws_env) == []
    assert payload_keys(aws_env) == []


def test_payload_upload_failure_is_5xx_and_leaves_no_job(aws_env, monkeypatch):
    set_env(monkeypatch, PAYLOAD_BUCKET="no-such-bucket", INLINE_DOCUMENT_MAX_BYTES="16")

    status, body, _ = submit({"task": "summarize", "document": "A long enough document. " * 10})

    assert 500 <= status < 600
    assert set(body) == {"error"}
    assert_nothing_stored(aws_env)


def test_resubmitting_with_the_same_key_after_an_enqueue_failure_succeeds(aws_env, monkeypatch):
    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "retry-me"}
    set_env(monkeypatch, QUEUE_URL=missing_queue_url(aws_env))
    assert submit(request)[0] == 503

    set_env(monkeypatch, QUEUE_URL=aws_env.queue_url)
    status, body, _ = submit(request)

    assert status == 202
    assert body["status"] == "pending"
    assert aws_env.job(body["job_id"])["status"] == "pending"
    assert len(drain(aws_env)) == 1


# -- idempotency keys ------------------------------------------------------------------------------
def test_same_idempotency_key_twice_gives_one_job_and_one_message(aws_env):
    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "invoice-42"}

    first_status, first, _ = submit(request)
    second_status, second, _ = submit(request)

    assert first_status == second_status == 202
    assert first["job_id"] == second["job_id"]
    assert second["status"] == "pending"
    assert len(table_items(aws_env)) == 1
    [message] = drain(aws_env)
    assert json.loads(message["Body"])["job_id"] == first["job_id"]


def test_repeated_key_after_completion_reports_the_finished_job_without_requeueing(aws_env, fake_bedrock):
    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "invoice-43"}
    _, first, _ = submit(request)
    run_consumer(aws_env)

    status, again, _ = submit(request)

    assert status == 202
    assert again == {"job_id": first["job_id"], "status": "complete"}
    assert queue_counts(aws_env) == (0, 0)
    assert len(fake_bedrock.calls) == 1


def test_different_idempotency_keys_give_different_jobs(aws_env):
    a = submit({"task": "summarize", "document": DOCUMENT, "idempotency_key": "a"})[1]["job_id"]
    b = submit({"task": "summarize", "document": DOCUMENT, "idempotency_key": "b"})[1]["job_id"]
    assert a != b
    assert len(drain(aws_env)) == 2


def test_same_key_with_a_different_document_is_409(aws_env):
    _, first, _ = submit({"task": "summarize", "document": DOCUMENT, "idempotency_key": "k-1"})
    before = aws_env.job(first["job_id"])

    status, body, _ = submit(
        {"task": "summarize", "document": "Something else entirely.", "idempotency_key": "k-1"}
    )

    assert status == 409
    assert set(body) == {"error"}
    assert "idempotency_key" in body["error"]
    assert aws_env.job(first["job_id"]) == before
    assert len(table_items(aws_env)) == 1
    assert len(drain(aws_env)) == 1


def test_conflicting_large_document_does_not_overwrite_the_original(aws_env, monkeypatch):
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="16")
    original = "The original document. " * 5
    _, first, _ = submit({"task": "summarize", "document": original, "idempotency_key": "k-big"})
    key = f"documents/{first['job_id']}"

    status, _, _ = submit(
        {"task": "summarize", "document": "A different document! " * 5, "idempotency_key": "k-big"}
    )

    assert status == 409
    stored = aws_env.client("s3").get_object(Bucket="payloads", Key=key)["Body"].read().decode()
    assert stored == original
    assert payload_keys(aws_env) == [key]
    assert len(drain(aws_env)) == 1


def test_repeated_large_document_keeps_one_payload_and_one_message(aws_env, monkeypatch):
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="16")
    request = {"task": "summarize", "document": "The same big document. " * 5, "idempotency_key": "k-same"}

    first = submit(request)[1]
    second = submit(request)[1]

    assert first["job_id"] == second["job_id"]
    assert payload_keys(aws_env) == [f"documents/{first['job_id']}"]
    assert len(drain(aws_env)) == 1


# -- FIFO main queue -------------------------------------------------------------------------------
FIFO = pytest.mark.parametrize("aws_env", [{"fifo": True}], indirect=True)


@FIFO
def test_fifo_message_group_comes_from_metadata(aws_env):
    assert aws_env.queue_url.endswith(".fifo")

    status, body, _ = submit(
        {"task": "summarize", "document": DOCUMENT, "metadata": {"message_group_id": "tenant-7"}}
    )

    assert status == 202
    [message] = drain(aws_env)
    assert message["Attributes"]["MessageGroupId"] == "tenant-7"
    assert message["Attributes"]["MessageDeduplicationId"] == body["job_id"]
    assert json.loads(message["Body"])["job_id"] == body["job_id"]


@FIFO
def test_fifo_default_message_group(aws_env):
    status, body, _ = submit({"task": "summarize", "document": DOCUMENT})

    assert status == 202
    [message] = drain(aws_env)
    assert message["Attributes"]["MessageGroupId"] == "default"
    assert message["Attributes"]["MessageDeduplicationId"] == body["job_id"]


@FIFO
def test_fifo_configured_default_message_group(aws_env, monkeypatch):
    set_env(monkeypatch, FIFO_DEFAULT_MESSAGE_GROUP_ID="bulk")

    submit({"task": "summarize", "document": DOCUMENT})
    submit({"task": "summarize", "document": DOCUMENT, "metadata": {"message_group_id": "vip"}})

    groups = sorted(m["Attributes"]["MessageGroupId"] for m in drain(aws_env))
    assert groups == ["bulk", "vip"]


@FIFO
def test_fifo_jobs_with_identical_documents_are_not_deduplicated(aws_env):
    ids = {submit({"task": "summarize", "document": DOCUMENT})[1]["job_id"] for _ in range(3)}
    messages = drain(aws_env)
    assert {json.loads(m["Body"])["job_id"] for m in messages} == ids
    assert len(ids) == 3


@FIFO
def test_fifo_job_completes_through_the_consumer(aws_env, fake_bedrock):
    _, body, _ = submit({"task": "summarize", "document": DOCUMENT})
    response, event = run_consumer(aws_env)
    assert event["Records"][0]["attributes"]["MessageGroupId"] == "default"
    assert response == {"batchItemFailures": []}
    assert aws_env.job(body["job_id"])["status"] == "complete"


def test_named_api_gateway_stage_prefix_is_ignored(aws_env):
    from bedrock_jobs import producer

    event = http_event("POST", "/prod/jobs", {"task": "summarize", "document": "Staged."})
    event["requestContext"]["stage"] = "prod"
    event["requestContext"]["http"]["path"] = "/prod/jobs"
    status, body = parse_response(producer.handler(event, FakeLambdaContext(timeout_seconds=10)))
    assert status == 202 and body["status"] == "pending"
    get = http_event("GET", f"/prod/jobs/{body['job_id']}")
    get["requestContext"]["stage"] = "prod"
    status, job = parse_response(producer.handler(get, FakeLambdaContext(timeout_seconds=10)))
    assert status == 200 and job["job_id"] == body["job_id"]
