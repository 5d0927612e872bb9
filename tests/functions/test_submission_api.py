"""The Python submission API (``bedrock_jobs.submission.submit_job`` / ``submit_jobs``) against moto."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from bedrock_jobs import aws_clients, producer, submission
from bedrock_jobs.errors import InvalidJobRequest
from bedrock_jobs.job_store import _from_item
from bedrock_jobs.submission import EnqueueError, JobSubmitter, SubmitResult, submit_job, submit_jobs
from botocore.exceptions import ClientError

from tests.conftest import AwsResources
from tests.support.jobs import queue_counts, run_consumer, set_env


def table_items(aws: AwsResources) -> dict[str, dict[str, Any]]:
    items = aws.client("dynamodb").scan(TableName=aws.table, ConsistentRead=True)["Items"]
    return {i["job_id"]: i for i in map(_from_item, items)}


def drain(aws: AwsResources) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    out: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=aws.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return out
        out.extend(batch)


def bodies(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in messages]


def payload_keys(aws: AwsResources) -> list[str]:
    return [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=aws.payload_bucket).get("Contents", [])]


class SqsProxy:
    """Wraps the real SQS client: records every SendMessageBatch and lets a test rewrite its outcome.

    ``fault(call_number, entries)`` returns ``None`` (forward everything) or a dict ``{entry_id: (code,
    sender_fault)}`` of entries to report as failed without sending them; the rest are forwarded.
    ``raise_always`` makes every SendMessageBatch raise instead.
    """

    def __init__(self, fault: Any = None, raise_always: bool = False) -> None:
        self.fault = fault
        self.raise_always = raise_always
        self.batch_calls: list[list[str]] = []
        self._lock = threading.Lock()

    @property
    def real(self) -> Any:
        return aws_clients.client("sqs")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def send_message_batch(
        self, QueueUrl: str, Entries: list[dict[str, Any]], **kwargs: Any
    ) -> dict[str, Any]:
        with self._lock:
            self.batch_calls.append([e["Id"] for e in Entries])
            number = len(self.batch_calls)
        assert len(Entries) <= 10, "SendMessageBatch takes at most 10 entries"
        if self.raise_always:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "SendMessageBatch")
        failing = (self.fault(number, Entries) if self.fault else None) or {}
        forward = [e for e in Entries if e["Id"] not in failing]
        response: dict[str, Any] = {"Successful": [], "Failed": []}
        if forward:
            real = self.real.send_message_batch(QueueUrl=QueueUrl, Entries=forward, **kwargs)
            response["Successful"] = real.get("Successful", [])
            response["Failed"] = real.get("Failed", [])
        response["Failed"] += [
            {"Id": entry_id, "SenderFault": sender_fault, "Code": code, "Message": "injected"}
            for entry_id, (code, sender_fault) in failing.items()
        ]
        return response


@pytest.fixture
def sqs_proxy(monkeypatch):
    def install(**kwargs: Any) -> SqsProxy:
        proxy = SqsProxy(**kwargs)
        monkeypatch.setattr(JobSubmitter, "sqs", property(lambda self: proxy))
        return proxy

    return install


@pytest.fixture
def no_sleep(monkeypatch):
    """Record the batch retry backoff instead of sleeping it."""
    sleeps: list[float] = []
    monkeypatch.setattr(submission.time, "sleep", sleeps.append)
    return sleeps


def jobs(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"task": "summarize", "document": f"Document number {i}. It has two sentences.", **extra}
        for i in range(n)
    ]


# -- submit_job --------------------------------------------------------------------------------------
def test_producer_reexports_the_submission_api():
    assert producer.submit_job is submit_job
    assert producer.submit_jobs is submit_jobs
    assert producer.SubmitResult is SubmitResult


def test_submit_job_returns_a_pending_result_and_enqueues(aws_env):
    result = submit_job("summarize", "The printer is on fire. Please send help.")

    assert isinstance(result, SubmitResult)
    assert result.status == "pending"
    assert result.created is True
    assert result.ok is True
    assert result.error is None
    job = table_items(aws_env)[result.job_id]
    assert job["status"] == "pending"
    assert job["correlation_id"] == result.job_id  # no correlation id given: the job id stands in
    [message] = drain(aws_env)
    assert json.loads(message["Body"]) == {
        "job_id": result.job_id,
        "task": "summarize",
        "document": "The printer is on fire. Please send help.",
        "correlation_id": result.job_id,
        "submitted_at": job["submitted_at"],
    }
    assert {k: v["StringValue"] for k, v in message["MessageAttributes"].items()} == {
        "job_id": result.job_id,
        "task": "summarize",
        "correlation_id": result.job_id,
    }


def test_submit_job_passes_optional_fields(aws_env):
    result = submit_job(
        "classify",
        "Your invoice is overdue.",
        labels=["invoice", "spam"],
        model_id="amazon.nova-micro-v1:0",
        metadata={"tenant": "t1"},
        correlation_id="corr-from-caller",
    )

    [body] = bodies(drain(aws_env))
    assert body["labels"] == ["invoice", "spam"]
    assert body["model_id"] == "amazon.nova-micro-v1:0"
    assert body["metadata"] == {"tenant": "t1"}
    assert body["correlation_id"] == "corr-from-caller"
    job = table_items(aws_env)[result.job_id]
    assert job["model_id"] == "amazon.nova-micro-v1:0"
    assert job["correlation_id"] == "corr-from-caller"


def test_submit_job_completes_through_the_consumer(aws_env, fake_bedrock):
    result = submit_job("classify", "Spam spam spam, buy now.", labels=["invoice", "spam"])
    response, _ = run_consumer(aws_env)
    assert response == {"batchItemFailures": []}
    job = aws_env.job(result.job_id)
    assert job["status"] == "complete"
    assert job["result"] == "spam"


@pytest.mark.parametrize(
    ("kwargs", "status_code", "fragment"),
    [
        ({"task": "translate", "document": "x"}, 400, "unknown task"),
        ({"task": "summarize", "document": ""}, 400, "'document'"),
        ({"task": "summarize", "document": "   "}, 400, "'document'"),
        ({"task": "summarize", "document": 3}, 400, "'document'"),
        ({"task": "classify", "document": "x"}, 400, "'labels'"),
        ({"task": "classify", "document": "x", "labels": ["a", 2]}, 400, "'labels'"),
        ({"task": "summarize", "document": "x", "metadata": ["not", "a", "dict"]}, 400, "'metadata'"),
        ({"task": "summarize", "document": "x" * 101}, 413, "limit"),
    ],
)
def test_submit_job_rejects_invalid_input(aws_env, monkeypatch, kwargs, status_code, fragment):
    set_env(monkeypatch, MAX_DOCUMENT_BYTES="100")

    with pytest.raises(InvalidJobRequest) as raised:
        submit_job(**kwargs)

    assert raised.value.status_code == status_code
    assert fragment in raised.value.message
    assert table_items(aws_env) == {}
    assert queue_counts(aws_env) == (0, 0)


def test_submit_job_enqueue_failure_raises_and_leaves_nothing(aws_env, monkeypatch):
    set_env(monkeypatch, QUEUE_URL=aws_env.queue_url + "-missing", INLINE_DOCUMENT_MAX_BYTES="10")

    with pytest.raises(EnqueueError):
        submit_job("summarize", "A document longer than ten bytes.")

    assert table_items(aws_env) == {}
    assert payload_keys(aws_env) == []


def test_submit_job_with_a_repeated_idempotency_key(aws_env):
    first = submit_job("summarize", "Same text.", idempotency_key="k1")
    second = submit_job("summarize", "Same text.", idempotency_key="k1")
    conflict = submit_job("summarize", "Other text.", idempotency_key="k1")

    assert first.created is True
    assert (second.job_id, second.status, second.created, second.ok) == (first.job_id, "pending", False, True)
    assert conflict.ok is False
    assert conflict.status_code == 409
    assert conflict.job_id == first.job_id
    assert len(drain(aws_env)) == 1


# -- submit_jobs ---------------------------------------------------------------------------------------
def test_submit_jobs_sends_in_batches_of_ten_in_input_order(aws_env, sqs_proxy):
    proxy = sqs_proxy()
    requested = jobs(25)

    results = submit_jobs(requested)

    assert len(results) == 25
    assert all(r.ok and r.created and r.status == "pending" for r in results)
    assert len({r.job_id for r in results}) == 25
    assert [len(c) for c in proxy.batch_calls] == [10, 10, 5]
    messages = bodies(drain(aws_env))
    assert len(messages) == 25
    by_job = {m["job_id"]: m for m in messages}
    # Input order: result i belongs to request i.
    for request, result in zip(requested, results, strict=True):
        assert by_job[result.job_id]["document"] == request["document"]
    items = table_items(aws_env)
    assert set(items) == {r.job_id for r in results}
    assert {i["status"] for i in items.values()} == {"pending"}


def test_submit_jobs_carries_per_job_correlation_ids(aws_env):
    results = submit_jobs(
        [
            {"task": "summarize", "document": "One.", "correlation_id": "c-1"},
            {"task": "summarize", "document": "Two."},
        ]
    )

    attributes = {
        m["MessageAttributes"]["job_id"]["StringValue"]: m["MessageAttributes"]["correlation_id"][
            "StringValue"
        ]
        for m in drain(aws_env)
    }
    assert attributes == {results[0].job_id: "c-1", results[1].job_id: results[1].job_id}


def test_submit_jobs_retries_entries_sqs_failed_transiently(aws_env, sqs_proxy, no_sleep):
    transient = {"1": ("InternalError", False), "3": ("InternalError", False)}
    proxy = sqs_proxy(fault=lambda number, entries: transient if number == 1 else None)

    results = submit_jobs(jobs(12))

    assert all(r.ok for r in results), results
    # Chunk one: 10 entries, 2 reported failed and retried alone; chunk two: 2 entries.
    assert proxy.batch_calls == [[str(i) for i in range(10)], ["1", "3"], ["0", "1"]]
    assert len(no_sleep) == 1
    messages = bodies(drain(aws_env))
    assert sorted(m["job_id"] for m in messages) == sorted(r.job_id for r in results)  # no duplicates
    assert {i["status"] for i in table_items(aws_env).values()} == {"pending"}


def test_submit_jobs_does_not_retry_sender_faults_and_removes_their_jobs(
    aws_env, sqs_proxy, no_sleep, monkeypatch
):
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="10")
    proxy = sqs_proxy(fault=lambda number, entries: {"2": ("InvalidMessageContents", True)})

    results = submit_jobs(jobs(5))

    assert [r.ok for r in results] == [True, True, False, True, True]
    rejected = results[2]
    assert rejected.status_code == 400
    assert "InvalidMessageContents" in rejected.error
    assert proxy.batch_calls == [["0", "1", "2", "3", "4"]]  # not retried
    assert no_sleep == []
    items = table_items(aws_env)
    assert rejected.job_id not in items
    assert set(items) == {r.job_id for r in results if r.ok}
    # Its uploaded document is gone too; the others' stay for the consumer.
    assert sorted(payload_keys(aws_env)) == sorted(f"documents/{r.job_id}" for r in results if r.ok)
    assert sorted(m["job_id"] for m in bodies(drain(aws_env))) == sorted(r.job_id for r in results if r.ok)


def test_submit_jobs_gives_up_after_repeated_transient_failures(aws_env, sqs_proxy, no_sleep):
    proxy = sqs_proxy(fault=lambda number, entries: {"0": ("ServiceUnavailable", False)})

    results = submit_jobs(jobs(3))

    assert [r.ok for r in results] == [False, True, True]
    assert results[0].status_code == 503
    assert "ServiceUnavailable" in results[0].error
    assert len(proxy.batch_calls) == submission.SEND_BATCH_ATTEMPTS
    assert no_sleep == sorted(no_sleep) and len(no_sleep) == submission.SEND_BATCH_ATTEMPTS - 1
    assert set(table_items(aws_env)) == {results[1].job_id, results[2].job_id}


def test_submit_jobs_when_sqs_keeps_raising_keeps_the_jobs(aws_env, sqs_proxy, no_sleep, monkeypatch):
    # An InternalError may come after SQS took the messages: deleting the jobs could orphan them.
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="10")
    proxy = sqs_proxy(raise_always=True)

    results = submit_jobs(jobs(13))

    assert len(results) == 13
    assert all(not r.ok and r.status_code == 503 and r.kept and r.error for r in results)
    assert all("InternalError" in r.error and "idempotency_key" in r.error for r in results)
    assert [len(c) for c in proxy.batch_calls] == [10] * submission.SEND_BATCH_ATTEMPTS + [
        3
    ] * submission.SEND_BATCH_ATTEMPTS
    assert set(table_items(aws_env)) == {r.job_id for r in results}
    assert sorted(payload_keys(aws_env)) == sorted(f"documents/{r.job_id}" for r in results)
    assert queue_counts(aws_env) == (0, 0)


def test_submit_jobs_invalid_entries_do_not_stop_the_others(aws_env):
    results = submit_jobs(
        [
            {"task": "summarize", "document": "First valid document."},
            {"task": "nope", "document": "x"},
            {"task": "summarize", "document": ""},
            {"task": "classify", "document": "Second valid document.", "labels": ["a", "b"]},
            {"task": "summarize", "document": "x", "colour": "red"},
        ]
    )

    assert [r.ok for r in results] == [True, False, False, True, False]
    assert results[1].job_id is None and "unknown task 'nope'" in results[1].error
    assert results[2].status_code == 400 and "'document'" in results[2].error
    assert "colour" in results[4].error
    assert set(table_items(aws_env)) == {results[0].job_id, results[3].job_id}
    enqueued = sorted(b["job_id"] for b in bodies(drain(aws_env)))
    assert enqueued == sorted([results[0].job_id, results[3].job_id])


def test_submit_jobs_with_a_repeated_idempotency_key_enqueues_once(aws_env):
    results = submit_jobs([{"task": "summarize", "document": "Same.", "idempotency_key": "dup"}] * 3)

    assert all(r.ok for r in results)
    assert len({r.job_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(drain(aws_env)) == 1


def test_submit_jobs_when_the_table_is_missing_enqueues_nothing(aws_env):
    aws_env.client("dynamodb").delete_table(TableName=aws_env.table)

    results = submit_jobs(jobs(3))

    assert all(not r.ok and r.status_code == 503 for r in results)
    assert all("could not store the job" in r.error for r in results)
    assert queue_counts(aws_env) == (0, 0)


def test_submit_jobs_large_document_without_payload_bucket_fails_alone(aws_env, monkeypatch):
    monkeypatch.delenv("PAYLOAD_BUCKET")
    set_env(monkeypatch, INLINE_DOCUMENT_MAX_BYTES="100")

    results = submit_jobs(
        [
            {"task": "summarize", "document": "short one"},
            {"task": "summarize", "document": "long " * 50},
            {"task": "summarize", "document": "short two"},
        ]
    )

    assert [r.ok for r in results] == [True, False, True]
    assert results[1].status_code == 503
    assert set(table_items(aws_env)) == {results[0].job_id, results[2].job_id}
    assert len(drain(aws_env)) == 2
