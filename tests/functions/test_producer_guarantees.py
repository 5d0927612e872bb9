"""What the producer guarantees when SQS fails, when messages grow by escaping, and to whom it shows a job
(issue 8, items 3, 9 and 13).

Through ``producer.handler`` and ``submit_jobs`` against moto (faults injected inside the embedded AWS)
and the fake Bedrock; every job is then run by the consumer and checked in the fake model's own log.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from bedrock_jobs import aws_clients, producer
from bedrock_jobs.submission import submit_jobs
from bedrock_jobs_local.aws_faults import FaultControl
from bedrock_jobs_local.fake_bedrock import FakeBedrock, classify, summarize

from tests.conftest import AwsResources
from tests.support.http_events import get_job, parse_response, post_jobs
from tests.support.jobs import queue_counts, run_consumer, set_env
from tests.support.lambda_events import FakeLambdaContext

DOCUMENT = "The quarterly report shows revenue up 12%. Costs fell. The board approved the plan."
# The job-id namespace the producer used before ids were scoped to callers (in the source, so public).
OLD_PUBLIC_NAMESPACE = uuid.UUID("6f1c1c3e-3f43-4c55-9d7a-0c2b8d1f5a10")
BOOKKEEPING = (
    "idempotency_key",
    "document_uri",
    "archive_uri",
    "lease_expires_at",
    "claim_token",
    "request_sha256",
    "owner",
    "last_error",
    "enqueued_at",
    "expires_at",
)


# -- helpers ---------------------------------------------------------------------------------------
def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = producer.handler(
        event, FakeLambdaContext(timeout_seconds=10, function_name="bedrock-jobs-producer")
    )
    return parse_response(response)


def as_caller(event: dict[str, Any], authorizer: dict[str, Any] | None) -> dict[str, Any]:
    """The event as API Gateway / a Function URL sends it after an authorizer identified the caller."""
    event = copy.deepcopy(event)
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    return event


def iam(account: str, unique_id: str, session: str = "s1") -> dict[str, Any]:
    """Function URL AWS_IAM authorizer context of an assumed role (Lambda Developer Guide, payloads)."""
    return {
        "iam": {
            "accessKey": "ASIAEXAMPLE",
            "accountId": account,
            "callerId": f"{unique_id}:{session}",
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": f"arn:aws:sts::{account}:assumed-role/app/{session}",
            "userId": f"{unique_id}:{session}",
        }
    }


ALICE = iam("111122223333", "AROAALICEEXAMPLE")
ALICE_OTHER_SESSION = iam("111122223333", "AROAALICEEXAMPLE", session="s2")
BOB = iam("111122223333", "AROABOBEXAMPLE")


def submit(body: dict[str, Any], authorizer: dict[str, Any] | None = ALICE) -> tuple[int, dict[str, Any]]:
    return call(as_caller(post_jobs(body), authorizer))


def fetch(job_id: str, authorizer: dict[str, Any] | None = ALICE) -> tuple[int, dict[str, Any]]:
    return call(as_caller(get_job(job_id), authorizer))


def set_queue_limit(aws: AwsResources, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """The queue's MaximumMessageSize, and the producer told so (the module passes the same value)."""
    aws.client("sqs").set_queue_attributes(
        QueueUrl=aws.queue_url, Attributes={"MaximumMessageSize": str(limit)}
    )
    set_env(monkeypatch, QUEUE_MAX_MESSAGE_BYTES=str(limit))


def peek(aws: AwsResources) -> list[dict[str, Any]]:
    """Every message on the main queue with its attributes; they are made visible again afterwards."""
    sqs = aws.client("sqs")
    seen: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=aws.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            break
        seen.extend(batch)
    for message in seen:
        sqs.change_message_visibility(
            QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return seen


def sqs_size(body: str, attributes: dict[str, Any]) -> int:
    """A message's size as SQS counts it (SendMessage reference): the body's UTF-8 bytes plus every
    message attribute's name, data type and value."""
    size = len(body.encode("utf-8"))
    for name, attribute in attributes.items():
        size += len(name.encode()) + len(attribute["DataType"].encode())
        size += len(attribute.get("StringValue", "").encode())
    return size


def size_as_sent(message: dict[str, Any]) -> int:
    return sqs_size(message["Body"], message.get("MessageAttributes", {}))


def payload_keys(aws: AwsResources) -> list[str]:
    contents = aws.client("s3").list_objects_v2(Bucket=aws.payload_bucket).get("Contents", [])
    return sorted(o["Key"] for o in contents)


def table_ids(aws: AwsResources) -> set[str]:
    items = aws.client("dynamodb").scan(TableName=aws.table, ConsistentRead=True)["Items"]
    return {i["job_id"]["S"] for i in items}


def run_consumer_until_idle(aws: AwsResources) -> None:
    """Let the consumer take every visible message (as the event source mapping would)."""
    while queue_counts(aws)[0]:
        run_consumer(aws)


def completed_once(aws: AwsResources, fake: FakeBedrock, job_id: str) -> dict[str, Any]:
    job = aws.job(job_id)
    assert job is not None and job["status"] == "complete", job
    assert fake.successful_calls_by_job()[job_id] == 1
    return job


@pytest.fixture
def recorded_batches() -> Iterator[list[list[dict[str, Any]]]]:
    """Every SendMessageBatch call's entries, observed on the SDK's own event hook (nothing replaced)."""
    calls: list[list[dict[str, Any]]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(list(params["Entries"]))

    sqs = aws_clients.client("sqs")
    sqs.meta.events.register("provide-client-params.sqs.SendMessageBatch", record)
    yield calls
    sqs.meta.events.unregister("provide-client-params.sqs.SendMessageBatch", record)


# -- item 3: a failed or interrupted send never orphans a job --------------------------------------
def test_a_send_that_sqs_took_before_failing_keeps_the_job_and_its_document(
    aws_env: AwsResources, aws_faults: FaultControl, fake_bedrock: FakeBedrock, monkeypatch
) -> None:
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="16")  # the document travels through S3
    # The first attempt is applied and then answered 500; botocore's retries are refused before moto.
    aws_faults.add("sqs", "SendMessage", "InternalError", 500, times=1, after=True)
    aws_faults.add("sqs", "SendMessage", "InternalError", 500, times=None)
    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "order-1"}

    status, body = submit(request)

    assert status == 503
    assert "idempotency_key" in body["error"]
    job_id = body["job_id"]
    kept = aws_env.job(job_id)
    assert kept is not None and kept["status"] == "pending" and "enqueued_at" not in kept
    assert payload_keys(aws_env) == [f"documents/{job_id}"]
    assert queue_counts(aws_env) == (1, 0)  # what SQS took despite the error

    # The client never retries: the message SQS took still runs the job, with its document.
    aws_faults.clear()
    run_consumer_until_idle(aws_env)
    assert completed_once(aws_env, fake_bedrock, job_id)["result"] == summarize(DOCUMENT)


def test_a_retry_after_a_send_failure_queues_the_job_once(
    aws_env: AwsResources, aws_faults: FaultControl, fake_bedrock: FakeBedrock
) -> None:
    aws_faults.add("sqs", "SendMessage", "ServiceUnavailable", 503, times=None)
    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "order-2"}

    status, body = submit(request)

    assert status == 503
    job_id = body["job_id"]
    assert aws_env.job(job_id)["status"] == "pending"  # SQS may have it: kept, not deleted
    assert queue_counts(aws_env) == (0, 0)

    aws_faults.clear()
    status, again = submit(request)
    assert (status, again) == (202, {"job_id": job_id, "status": "pending"})
    assert queue_counts(aws_env) == (1, 0)
    assert "enqueued_at" in aws_env.job(job_id)

    # Once SQS confirmed the message, a further retry sends nothing.
    assert submit(request) == (202, {"job_id": job_id, "status": "pending"})
    assert queue_counts(aws_env) == (1, 0)
    run_consumer_until_idle(aws_env)
    completed_once(aws_env, fake_bedrock, job_id)
    assert submit(request) == (202, {"job_id": job_id, "status": "complete"})


def test_only_a_refusal_on_the_first_attempt_removes_the_job(
    aws_env: AwsResources, aws_faults: FaultControl, fake_bedrock: FakeBedrock, monkeypatch
) -> None:
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="16")
    # A 4xx answer to the only attempt: SQS did not take the message, nothing is left behind.
    aws_faults.add("sqs", "SendMessage", "KMS.AccessDeniedException", 400, times=1)
    status, body = submit({"task": "summarize", "document": DOCUMENT, "idempotency_key": "refused"})
    assert (status, set(body)) == (503, {"error"})
    assert table_ids(aws_env) == set()
    assert payload_keys(aws_env) == []

    # A 4xx after a retried 500: the first attempt may have been taken, so the job stays.
    aws_faults.add("sqs", "SendMessage", "InternalError", 500, times=1, after=True)
    aws_faults.add("sqs", "SendMessage", "KMS.AccessDeniedException", 400, times=1)
    status, body = submit({"task": "summarize", "document": DOCUMENT, "idempotency_key": "maybe"})
    assert status == 503
    job_id = body["job_id"]
    assert table_ids(aws_env) == {job_id}
    assert payload_keys(aws_env) == [f"documents/{job_id}"]
    run_consumer_until_idle(aws_env)
    completed_once(aws_env, fake_bedrock, job_id)


def test_an_exception_between_the_write_and_the_send_is_finished_by_a_retry(
    aws_env: AwsResources, fake_bedrock: FakeBedrock
) -> None:
    sqs = aws_clients.client("sqs")

    def interrupted(**_: Any) -> Any:
        raise RuntimeError("worker interrupted between the table write and the send")

    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "order-3"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqs, "send_message", interrupted)
        status, body = submit(request)

    assert status == 503
    job_id = body["job_id"]
    assert aws_env.job(job_id)["status"] == "pending"
    assert queue_counts(aws_env) == (0, 0)

    status, again = submit(request)
    assert (status, again) == (202, {"job_id": job_id, "status": "pending"})
    run_consumer_until_idle(aws_env)
    completed_once(aws_env, fake_bedrock, job_id)


def test_without_a_key_an_unconfirmed_job_is_named_and_still_runs(
    aws_env: AwsResources, aws_faults: FaultControl, fake_bedrock: FakeBedrock
) -> None:
    aws_faults.add("sqs", "SendMessage", "InternalError", 500, times=1, after=True)
    aws_faults.add("sqs", "SendMessage", "InternalError", 500, times=2)

    status, body = submit({"task": "summarize", "document": DOCUMENT})

    # The client learns the job's id and that a resubmission is a new job.
    assert status == 503
    assert "new job" in body["error"] and "idempotency_key" in body["error"]
    unconfirmed = body["job_id"]
    status, resubmitted = submit({"task": "summarize", "document": DOCUMENT})
    assert status == 202 and resubmitted["job_id"] != unconfirmed

    run_consumer_until_idle(aws_env)
    completed_once(aws_env, fake_bedrock, unconfirmed)
    completed_once(aws_env, fake_bedrock, resubmitted["job_id"])
    assert fetch(unconfirmed)[1]["status"] == "complete"


def test_submit_jobs_keeps_jobs_whose_batch_sqs_may_have_taken(
    aws_env: AwsResources, aws_faults: FaultControl, fake_bedrock: FakeBedrock, monkeypatch
) -> None:
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="40")
    aws_faults.add("sqs", "SendMessageBatch", "InternalError", 500, times=1, after=True)
    aws_faults.add("sqs", "SendMessageBatch", "InternalError", 500, times=None)
    requested = [
        {"task": "summarize", "document": f"Batch document {i}. " + "It is long enough to offload. " * i}
        for i in range(4)
    ]

    results = submit_jobs(requested)

    assert all(r.status_code == 503 for r in results)
    assert table_ids(aws_env) == {r.job_id for r in results}  # kept: SQS may hold their messages
    assert all(r.kept for r in results)
    aws_faults.clear()
    run_consumer_until_idle(aws_env)
    for result, request in zip(results, requested, strict=True):
        job = completed_once(aws_env, fake_bedrock, result.job_id or "")
        assert job["result"] == summarize(request["document"])


def test_submit_jobs_retried_after_an_interruption_queues_every_job_once(
    aws_env: AwsResources, fake_bedrock: FakeBedrock
) -> None:
    sqs = aws_clients.client("sqs")

    def interrupted(**_: Any) -> Any:
        raise RuntimeError("interrupted")

    requested = [
        {"task": "summarize", "document": f"Document {i}. Two sentences.", "idempotency_key": f"k{i}"}
        for i in range(3)
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqs, "send_message_batch", interrupted)
        first = submit_jobs(requested)

    assert all(r.status_code == 503 and r.kept for r in first)
    retried = submit_jobs(requested)
    assert [(r.job_id, r.status, r.ok) for r in retried] == [(r.job_id, "pending", True) for r in first]
    run_consumer_until_idle(aws_env)
    for result in first:
        completed_once(aws_env, fake_bedrock, result.job_id or "")


# -- item 9: messages are measured as sent ---------------------------------------------------------
def test_a_document_at_the_limit_that_escapes_sixfold_is_accepted_and_processed(
    aws_env: AwsResources, fake_bedrock: FakeBedrock, monkeypatch
) -> None:
    limit = 200_000
    set_env(monkeypatch, MAX_DOCUMENT_BYTES=str(limit), INLINE_DOCUMENT_MAX_BYTES=str(limit))
    set_queue_limit(aws_env, monkeypatch, 262_144)
    document = "Control characters follow.\x01" + "\x01" * (limit - 27)
    assert len(document.encode("utf-8")) == limit
    assert len(json.dumps(document)) > 5 * limit

    status, body = submit({"task": "summarize", "document": document})

    assert status == 202
    [message] = peek(aws_env)
    assert size_as_sent(message) <= 262_144
    assert json.loads(message["Body"])["document_uri"].endswith(body["job_id"])
    run_consumer_until_idle(aws_env)
    job = completed_once(aws_env, fake_bedrock, body["job_id"])
    assert job["result"] == summarize(document)


def test_labels_and_metadata_that_only_overflow_after_escaping_move_the_document(
    aws_env: AwsResources, fake_bedrock: FakeBedrock, monkeypatch
) -> None:
    set_queue_limit(aws_env, monkeypatch, 8_192)
    document = 'She wrote "refund" and "billing" in quotes: ' + '"' * 3_000
    labels = [f'"billing" team {n}' for n in range(10)] + ['"refund" request']
    metadata = {"note": '"' * 1_500}
    raw = len(document) + sum(map(len, labels)) + len(metadata["note"])
    assert raw < 8_192 - 1_000  # fits before escaping, with room for the envelope

    status, body = submit({"task": "classify", "document": document, "labels": labels, "metadata": metadata})

    assert status == 202
    [message] = peek(aws_env)
    assert size_as_sent(message) <= 8_192
    sent = json.loads(message["Body"])
    assert "document" not in sent and sent["labels"] == labels and sent["metadata"] == metadata
    run_consumer_until_idle(aws_env)
    job = completed_once(aws_env, fake_bedrock, body["job_id"])
    assert job["result"] == classify(document, labels)


def test_metadata_that_cannot_fit_even_without_the_document_is_refused_and_stores_nothing(
    aws_env: AwsResources, monkeypatch
) -> None:
    set_queue_limit(aws_env, monkeypatch, 2_048)

    status, body = submit({"task": "summarize", "document": DOCUMENT, "metadata": {"note": '"' * 1_500}})

    assert status == 413
    assert "2048" in body["error"]
    assert table_ids(aws_env) == set()
    assert payload_keys(aws_env) == []
    assert queue_counts(aws_env) == (0, 0)


def test_submit_jobs_packs_batches_by_bytes_and_offloads_what_escaping_overflows(
    aws_env: AwsResources, fake_bedrock: FakeBedrock, monkeypatch, recorded_batches
) -> None:
    set_queue_limit(aws_env, monkeypatch, 262_144)
    # Each fits a message alone (about 120 KB escaped); ten of them are far over one batch.
    requested = [{"task": "summarize", "document": f"Quoted text {i}. " + '"' * 60_000} for i in range(10)]
    # Inline-sized (150 KB) but about 300 KB once its quotes are escaped.
    requested.append({"task": "summarize", "document": "Escapes past the limit. " + '"' * 150_000})

    results = submit_jobs(requested)

    assert all(r.ok for r in results), results
    for entries in recorded_batches:
        assert len(entries) <= 10
        assert sum(sqs_size(e["MessageBody"], e.get("MessageAttributes", {})) for e in entries) <= 262_144
    messages = {json.loads(m["Body"])["job_id"]: m for m in peek(aws_env)}
    assert set(messages) == {r.job_id for r in results}
    assert all(size_as_sent(m) <= 262_144 for m in messages.values())
    assert "document_uri" in json.loads(messages[results[-1].job_id or ""]["Body"])
    run_consumer_until_idle(aws_env)
    for result, request in zip(results, requested, strict=True):
        assert completed_once(aws_env, fake_bedrock, result.job_id or "")["result"] == summarize(
            request["document"]
        )


# -- item 13: ids scoped to the caller, jobs shown to their owner, bookkeeping hidden --------------
IDENTITIES = {
    "iam": (ALICE, BOB),
    "jwt": (
        {"jwt": {"claims": {"iss": "https://issuer.example", "sub": "alice"}, "scopes": None}},
        {"jwt": {"claims": {"iss": "https://issuer.example", "sub": "bob"}, "scopes": None}},
    ),
    "lambda": ({"lambda": {"tenant": "t-1", "user": "alice"}}, {"lambda": {"tenant": "t-1", "user": "bob"}}),
}


@pytest.mark.parametrize("kind", sorted(IDENTITIES))
def test_the_same_key_names_different_jobs_for_different_callers(aws_env: AwsResources, kind: str) -> None:
    alice, bob = IDENTITIES[kind]
    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "order-1"}

    alice_status, alice_job = submit(request, alice)
    bob_status, bob_job = submit(request, bob)

    assert alice_status == bob_status == 202
    assert alice_job["job_id"] != bob_job["job_id"]
    # Nobody can compute an id from the key alone, as the old source-code namespace allowed.
    assert str(uuid.uuid5(OLD_PUBLIC_NAMESPACE, "order-1")) not in {alice_job["job_id"], bob_job["job_id"]}
    # Each caller's retry finds its own job; each job is shown to its owner only.
    assert submit(request, alice)[1]["job_id"] == alice_job["job_id"]
    assert fetch(alice_job["job_id"], alice)[0] == 200
    assert fetch(alice_job["job_id"], bob) == (404, {"error": f"job {alice_job['job_id']!r} not found"})
    assert fetch(bob_job["job_id"], alice)[0] == 404
    assert fetch(bob_job["job_id"], None)[0] == 404  # an anonymous caller is not the owner either


def test_every_session_of_a_role_is_the_same_caller(aws_env: AwsResources) -> None:
    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "order-9"}

    _, first = submit(request, ALICE)
    status, second = submit(request, ALICE_OTHER_SESSION)

    assert status == 202 and second["job_id"] == first["job_id"]
    assert fetch(first["job_id"], ALICE_OTHER_SESSION)[0] == 200
    assert fetch(first["job_id"], BOB)[0] == 404
    assert queue_counts(aws_env) == (1, 0)


def test_derived_ids_depend_on_the_deployment_secret(aws_env: AwsResources, monkeypatch) -> None:
    request = {"task": "summarize", "document": DOCUMENT, "idempotency_key": "order-1"}
    set_env(monkeypatch, JOB_ID_SECRET="deployment-one")
    one = submit(request)[1]["job_id"]
    set_env(monkeypatch, JOB_ID_SECRET="deployment-two")
    two = submit(request)[1]["job_id"]
    assert one != two


def test_get_shows_the_job_not_its_bookkeeping(
    aws_env: AwsResources, fake_bedrock: FakeBedrock, monkeypatch
) -> None:
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="16", RETRY_BASE_DELAY_SECONDS="0")
    retried = submit({"task": "summarize", "document": DOCUMENT, "idempotency_key": "retried"})[1]["job_id"]
    fake_bedrock.push_script("error", "error")  # both botocore attempts fail: the job is retried later
    run_consumer(aws_env)
    stored = aws_env.job(retried)
    assert stored["status"] == "pending" and stored["last_error"]

    status, view = fetch(retried)

    assert status == 200
    assert view["status"] == "pending" and view["retrying"] is True
    assert not set(BOOKKEEPING) & set(view)

    run_consumer_until_idle(aws_env)
    completed_once(aws_env, fake_bedrock, retried)
    status, done = fetch(retried)
    assert done["status"] == "complete" and done["result"] == summarize(DOCUMENT)
    assert "retrying" not in done
    assert not set(BOOKKEEPING) & set(done)

    failed = submit({"task": "summarize", "document": "An invalid document for the model."})[1]["job_id"]
    fake_bedrock.push_script("validation")
    run_consumer_until_idle(aws_env)
    assert aws_env.job(failed)["archive_uri"]
    status, view = fetch(failed)
    assert view["status"] == "failed" and view["error"]
    assert not set(BOOKKEEPING) & set(view)
