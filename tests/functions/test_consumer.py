"""Consumer behaviour against moto and the fake Bedrock, through botocore's real retry layer."""

from __future__ import annotations

import json
import threading

import pytest
from bedrock_jobs.job_store import JobStore

from tests.support.jobs import (
    failed_ids,
    job_body,
    queue_counts,
    receive,
    run_consumer,
    send,
    set_env,
)
from tests.support.lambda_events import FakeLambdaContext
from tests.support.metrics import metric_total

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


# -- the happy path --------------------------------------------------------------------------------
def test_summarize_job_completes_with_result_usage_and_notice(aws_env, fake_bedrock):
    send(
        aws_env,
        job_body(
            "job-1",
            "Disk full on db-3. Writes fail since 02:00. Please extend the volume.",
            correlation_id="corr-1",
        ),
    )

    response, _ = run_consumer(aws_env)

    assert response == {"batchItemFailures": []}
    job = aws_env.job("job-1")
    assert job["status"] == "complete"
    assert job["result"] == "Disk full on db-3. Writes fail since 02:00. Please extend the volume."
    assert job["model_id"] == MODEL
    assert job["input_tokens"] > 0 and job["output_tokens"] > 0
    assert job["stop_reason"] == "end_turn"
    assert job["created_at"].endswith("Z") and job["completed_at"].endswith("Z")
    assert "claim_token" not in job and "lease_expires_at" not in job
    assert queue_counts(aws_env) == (0, 0)  # deleted, not just hidden
    notices = aws_env.published(aws_env.results_inbox_url)
    assert [(n["event"], n["job_id"], n["status"]) for n in notices] == [
        ("job.complete", "job-1", "complete")
    ]
    assert "result" not in notices[0]  # notices never carry model output or documents


def test_classify_answers_with_one_of_the_labels(aws_env, fake_bedrock):
    send(
        aws_env,
        job_body(
            "job-c",
            "Invoice 42 was charged twice, refund the duplicate payment.",
            task="classify",
            labels=["outage", "billing refund", "feature request"],
        ),
    )
    run_consumer(aws_env)
    assert aws_env.job("job-c")["result"] == "billing refund"
    request_labels = fake_bedrock.calls[0]
    assert request_labels.task == "classify"


def test_model_request_carries_task_prompt_and_inference_config(aws_env, fake_bedrock, monkeypatch):
    captured = {}
    from bedrock_jobs import model_client

    original = model_client.ModelClient.converse

    def spy(self, request, **kwargs):
        captured.update(request)
        return original(self, request, **kwargs)

    monkeypatch.setattr(model_client.ModelClient, "converse", spy)
    send(aws_env, job_body("job-p", "Hello {world} with braces.", model_id="my-profile"))
    run_consumer(aws_env)
    assert captured["modelId"] == "my-profile"
    assert captured["inferenceConfig"] == {"maxTokens": 512, "temperature": 0.2}
    assert captured["system"][0]["text"].startswith("You summarize documents")
    assert (
        "<document>\nHello {world} with braces.\n</document>" in captured["messages"][0]["content"][0]["text"]
    )
    assert captured["requestMetadata"] == {"job_id": "job-p", "task": "summarize"}


def test_configured_task_works_without_code_changes(aws_env, fake_bedrock, monkeypatch):
    set_env(
        monkeypatch,
        TASKS_CONFIG=json.dumps(
            {
                "extract_actions": {
                    "system_prompt": "List action items.",
                    "user_template": "Actions in:\n<document>{document}</document>",
                    "inference_config": {"maxTokens": 300},
                }
            }
        ),
    )
    send(aws_env, job_body("job-x", "Call the vendor. Then close the ticket.", task="extract_actions"))
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    assert aws_env.job("job-x")["status"] == "complete"
    assert fake_bedrock.calls[0].task == "extract_actions"


# -- messages that come without the producer -------------------------------------------------------
def test_message_for_unknown_job_creates_the_record(aws_env, fake_bedrock):
    assert aws_env.job("fresh") is None
    send(aws_env, job_body("fresh", metadata={"team": "support"}, submitted_at="2026-11-22T00:00:00Z"))
    run_consumer(aws_env)
    job = aws_env.job("fresh")
    assert job["status"] == "complete"
    assert job["metadata"] == {"team": "support"}
    assert job["submitted_at"] == "2026-11-22T00:00:00Z"


def test_raw_eventbridge_s3_object_created_event(aws_env, fake_bedrock):
    s3 = aws_env.client("s3")
    s3.create_bucket(Bucket="uploads")
    s3.put_object(Bucket="uploads", Key="inbox/my report.txt", Body=b"Quarterly revenue grew 4%. Costs fell.")
    event = {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-22T06:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:s3:::uploads"],
        "detail": {
            "version": "0",
            "bucket": {"name": "uploads"},
            "object": {"key": "inbox/my+report.txt", "size": 38},
            "reason": "PutObject",
        },
    }
    send(aws_env, event)
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    job = aws_env.job("7bf73129-1428-4cd3-a780-95db273d1602")
    assert job["status"] == "complete"
    assert job["task"] == "summarize"
    assert job["document_uri"] == "s3://uploads/inbox/my report.txt"
    assert job["result"] == "Quarterly revenue grew 4%. Costs fell."


def test_eventbridge_input_transformer_output_is_a_spec_message(aws_env, fake_bedrock):
    # What the module's input transformer renders for a custom event.
    send(
        aws_env,
        {
            "job_id": "evt-123",
            "task": "summarize",
            "document": "Order 9 shipped late.",
            "correlation_id": "evt-123",
            "submitted_at": "2026-11-22T06:00:00Z",
        },
    )
    run_consumer(aws_env)
    assert aws_env.job("evt-123")["status"] == "complete"


# -- at most one model call per job --------------------------------------------------------------
@pytest.fixture
def model_waits_for_claims(monkeypatch):
    """Hold every model call until ``n`` claims were attempted, so duplicates really overlap.

    Without it the test would depend on thread scheduling: on a loaded machine the first record can
    finish before the second one even tries to claim."""
    from bedrock_jobs import job_processor, model_client

    def arm(n: int) -> None:
        claims = threading.Semaphore(0)
        original_claim, original_converse = job_processor.JobStore.claim, model_client.ModelClient.converse

        def claim(self, *args, **kwargs):
            try:
                return original_claim(self, *args, **kwargs)
            finally:
                claims.release()

        def converse(self, request, **kwargs):
            for _ in range(n):
                assert claims.acquire(timeout=20), "the duplicate never tried to claim"
            return original_converse(self, request, **kwargs)

        monkeypatch.setattr(job_processor.JobStore, "claim", claim)
        monkeypatch.setattr(model_client.ModelClient, "converse", converse)

    return arm


def test_duplicate_delivery_after_success_never_calls_the_model_again(aws_env, fake_bedrock):
    send(aws_env, job_body("dup"))
    run_consumer(aws_env)
    send(aws_env, job_body("dup"))  # SQS at-least-once: the same job arrives again
    response, event = run_consumer(aws_env)
    assert len(event["Records"]) == 1
    assert response["batchItemFailures"] == []  # acknowledged
    assert fake_bedrock.successful_calls_by_job()["dup"] == 1
    assert len(fake_bedrock.calls_for("dup")) == 1
    assert queue_counts(aws_env) == (0, 0)


def test_concurrent_duplicates_in_one_batch_call_the_model_once(
    aws_env, fake_bedrock, model_waits_for_claims
):
    model_waits_for_claims(2)
    first, second = send(aws_env, job_body("twin")), send(aws_env, job_body("twin"))
    response, event = run_consumer(aws_env)
    assert len(event["Records"]) == 2
    # One record won the lease; the other found it held and went back to the queue.
    assert len(failed_ids(response)) == 1 and failed_ids(response) <= {first, second}
    assert len(fake_bedrock.calls_for("twin")) == 1
    # When it comes back the job is complete, so it is acknowledged without a model call.
    aws_env.client("sqs").change_message_visibility(
        QueueUrl=aws_env.queue_url,
        ReceiptHandle=next(
            r["receiptHandle"] for r in event["Records"] if r["messageId"] in failed_ids(response)
        ),
        VisibilityTimeout=0,
    )
    response, event = run_consumer(aws_env)
    assert response["batchItemFailures"] == [] and len(event["Records"]) == 1
    assert len(fake_bedrock.calls_for("twin")) == 1


def test_two_consumers_at_once_after_a_visibility_timeout_call_the_model_once(
    aws_env, fake_bedrock, model_waits_for_claims
):
    """Two invocations hold the same message (the first overran the visibility timeout)."""
    from bedrock_jobs import consumer

    send(aws_env, job_body("overlap"))
    first_event = receive(aws_env)
    sqs = aws_env.client("sqs")
    sqs.change_message_visibility(
        QueueUrl=aws_env.queue_url,
        ReceiptHandle=first_event["Records"][0]["receiptHandle"],
        VisibilityTimeout=0,
    )
    second_event = receive(aws_env)
    assert first_event["Records"][0]["messageId"] == second_event["Records"][0]["messageId"]
    results = {}

    def invoke(name, event):
        results[name] = consumer.handler(event, FakeLambdaContext(timeout_seconds=50))

    model_waits_for_claims(2)
    threads = [
        threading.Thread(target=invoke, args=(n, e)) for n, e in (("a", first_event), ("b", second_event))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r["batchItemFailures"]) for r in results.values()) == [0, 1]
    assert len(fake_bedrock.calls_for("overlap")) == 1
    assert aws_env.job("overlap")["status"] == "complete"


def test_job_left_processing_by_a_crash_is_claimable_after_its_lease(aws_env, fake_bedrock):
    store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    # A crashed invocation claimed the job with a lease that has already run out.
    crashed = store.claim("crashed", lease_seconds=-1, defaults={"task": "summarize"})
    assert crashed.job["status"] == "processing"
    send(aws_env, job_body("crashed"))
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    job = aws_env.job("crashed")
    assert job["status"] == "complete" and job["attempts"] == 2


def test_job_with_a_live_lease_is_not_processed_twice(aws_env, fake_bedrock):
    store = JobStore(aws_env.table, dynamodb=aws_env.client("dynamodb"))
    store.claim("busy", lease_seconds=300, defaults={"task": "summarize"})
    message_id = send(aws_env, job_body("busy"))
    response, _ = run_consumer(aws_env)
    assert failed_ids(response) == {message_id}
    assert fake_bedrock.calls == []
    assert aws_env.job("busy")["status"] == "processing"


def test_lease_outlives_the_invocation(aws_env, fake_bedrock, monkeypatch):
    """The claim's lease must reach past the invocation's own timeout."""
    import time

    from bedrock_jobs import job_processor

    seen = {}
    original = job_processor.JobStore.claim

    def spy(self, job_id, lease_seconds, defaults, **options):
        seen["lease"] = lease_seconds
        return original(self, job_id, lease_seconds, defaults, **options)

    monkeypatch.setattr(job_processor.JobStore, "claim", spy)
    send(aws_env, job_body("lease"))
    before = time.time()
    run_consumer(aws_env, context=FakeLambdaContext(timeout_seconds=50))
    assert seen["lease"] > 50
    assert before > 0


# -- retryable faults through botocore's retry layer ---------------------------------------------
def test_single_throttle_is_absorbed_by_botocore_retries(aws_env, fake_bedrock):
    fake_bedrock.push_script("throttle")
    send(aws_env, job_body("thr"))
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    assert [c.outcome for c in fake_bedrock.calls_for("thr")] == ["throttle", "ok"]
    assert aws_env.job("thr")["status"] == "complete"


@pytest.mark.parametrize(
    ("fault", "expected_error"),
    [
        ("throttle", "Bedrock ThrottlingException"),
        ("error", "Bedrock InternalServerException"),
        ("unavailable", "Bedrock ServiceUnavailableException"),
        ("not_ready", "Bedrock ModelNotReadyException"),
        ("timeout", "Bedrock unreachable: ReadTimeoutError"),
    ],
)
def test_persistent_retryable_fault_hands_the_message_back_with_backoff(
    aws_env, fake_bedrock, fault, expected_error
):
    fake_bedrock.push_script(fault, fault)  # both botocore attempts fail
    message_id = send(aws_env, job_body("retry-me"))
    response, _ = run_consumer(aws_env)
    assert failed_ids(response) == {message_id}
    job = aws_env.job("retry-me")
    # The lease is released so the retry can claim at once; the reason is kept for on-call.
    assert job["status"] == "pending"
    assert job["last_error"] == expected_error
    assert "claim_token" not in job
    # Backoff: the message is in flight with a new visibility timeout, not immediately visible.
    assert queue_counts(aws_env) == (0, 1)
    assert len(fake_bedrock.calls_for("retry-me")) == 2


def test_retried_job_completes_on_a_later_delivery(aws_env, fake_bedrock, monkeypatch):
    set_env(monkeypatch, RETRY_THROTTLED_BASE_DELAY_SECONDS="0")
    fake_bedrock.push_script("throttle", "throttle")
    send(aws_env, job_body("later"))
    first, _ = run_consumer(aws_env)
    assert len(first["batchItemFailures"]) == 1
    second, event = run_consumer(aws_env)
    assert second["batchItemFailures"] == []
    assert event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    job = aws_env.job("later")
    assert job["status"] == "complete" and "last_error" not in job
    assert fake_bedrock.successful_calls_by_job()["later"] == 1


def test_backoff_grows_with_receive_count(aws_env, fake_bedrock, monkeypatch):
    from bedrock_jobs import job_processor

    delays = []
    monkeypatch.setattr(
        job_processor,
        "delay_redelivery",
        lambda record, seconds, logger: delays.append(
            (record["attributes"]["ApproximateReceiveCount"], seconds)
        ),
    )
    monkeypatch.setattr("bedrock_jobs.batch.random.random", lambda: 1.0)
    set_env(monkeypatch, RETRY_THROTTLED_BASE_DELAY_SECONDS="10", RETRY_MAX_DELAY_SECONDS="35")
    fake_bedrock.push_script(*["throttle"] * 6)
    send(aws_env, job_body("grow"))
    sqs = aws_env.client("sqs")
    for _ in range(3):
        response, event = run_consumer(aws_env)
        assert len(response["batchItemFailures"]) == 1
        sqs.change_message_visibility(
            QueueUrl=aws_env.queue_url,
            ReceiptHandle=event["Records"][0]["receiptHandle"],
            VisibilityTimeout=0,
        )
    assert delays == [("1", 10), ("2", 20), ("3", 35)]


# -- permanent failures: failed, archived, counted, never retried ----------------------------------
@pytest.mark.parametrize(
    ("fault", "reason", "kind"),
    [
        ("validation", "Bedrock rejected the request: ValidationException", "model_validation"),
        ("guardrail", "model stopped: guardrail_intervened", "guardrail"),
    ],
)
def test_permanent_model_error_fails_the_job_and_archives_the_message(
    aws_env, fake_bedrock, fault, reason, kind, capsys
):
    fake_bedrock.push_script(fault)
    message_id = send(aws_env, job_body("perm", "Some document."), attributes={"correlation_id": "c-9"})
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []  # not retried
    assert queue_counts(aws_env) == (0, 0)
    assert len(fake_bedrock.calls_for("perm")) == 1
    job = aws_env.job("perm")
    assert job["status"] == "failed" and job["error"] == reason
    [archived] = aws_env.archived()
    assert archived["message_id"] == message_id
    assert json.loads(archived["body"])["document"] == "Some document."
    assert archived["message_attributes"]["correlation_id"]["stringValue"] == "c-9"
    assert archived["source_queue"] == aws_env.queue_arn and archived["reason"] == reason
    assert job["archive_uri"] == f"s3://{aws_env.archive_bucket}/{archived['_key']}"
    # Input-caused: counted for the alarm, announced to the results topic, no page per job.
    assert aws_env.published(aws_env.alerts_inbox_url) == []
    assert metric_total(capsys.readouterr().out, "JobsFailedOnInput", reason_kind=kind) == 1
    notices = aws_env.published(aws_env.results_inbox_url)
    assert [(n["event"], n["error"]) for n in notices] == [("job.failed", reason)]


@pytest.mark.parametrize(
    ("body", "job_id", "reason_part"),
    [
        ("this is not json", None, "not JSON"),
        (json.dumps(["a", "list"]), None, "JSON object"),
        (json.dumps({"job_id": "m1", "document": "x"}), "m1", "'task'"),
        (json.dumps({"job_id": "m2", "task": "translate-to-klingon", "document": "x"}), "m2", "unknown task"),
        (
            json.dumps({"job_id": "m3", "task": "summarize"}),
            "m3",
            "exactly one of 'document' and 'document_uri'",
        ),
        (json.dumps({"job_id": "m4", "task": "summarize", "document": "   "}), "m4", "non-empty"),
        (json.dumps({"job_id": "m5", "task": "classify", "document": "x"}), "m5", "labels"),
        (json.dumps({"job_id": "bad id with spaces", "task": "summarize", "document": "x"}), None, "job_id"),
    ],
)
def test_malformed_messages_are_failed_archived_and_never_retried(
    aws_env, fake_bedrock, body, job_id, reason_part, capsys
):
    message_id = send(aws_env, body)
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    assert fake_bedrock.calls == []
    [archived] = aws_env.archived()
    assert archived["message_id"] == message_id and archived["body"] == body
    assert reason_part in archived["reason"]
    if job_id:
        job = aws_env.job(job_id)
        assert job["status"] == "failed" and reason_part in job["error"]
    assert aws_env.published(aws_env.alerts_inbox_url) == []
    assert metric_total(capsys.readouterr().out, "JobsFailedOnInput") == 1


def test_missing_s3_document_is_permanent(aws_env, fake_bedrock):
    send(aws_env, {"job_id": "nodoc", "task": "summarize", "document_uri": "s3://payloads/documents/missing"})
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    assert aws_env.job("nodoc")["error"] == "document not found: s3://payloads/documents/missing"
    assert fake_bedrock.calls == []


def test_when_the_archive_cannot_be_written_the_message_stays(aws_env, fake_bedrock, monkeypatch):
    set_env(monkeypatch, ARCHIVE_BUCKET="bucket-that-does-not-exist")
    message_id = send(aws_env, "not json at all")
    response, _ = run_consumer(aws_env)
    assert failed_ids(response) == {message_id}  # kept: it will reach the DLQ and its archiver
    assert queue_counts(aws_env)[1] == 1


def test_duplicate_of_a_failed_job_is_acknowledged_without_a_model_call(aws_env, fake_bedrock):
    fake_bedrock.push_script("validation")
    send(aws_env, job_body("f1"))
    run_consumer(aws_env)
    send(aws_env, job_body("f1"))
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    assert len(fake_bedrock.calls_for("f1")) == 1
    assert aws_env.job("f1")["status"] == "failed"


# -- large payloads ------------------------------------------------------------------------------
def test_document_from_s3_and_large_result_to_s3(aws_env, fake_bedrock, monkeypatch):
    set_env(monkeypatch, INLINE_RESULT_MAX_BYTES="50")
    document = "This sentence is long enough to push the summary past fifty bytes of text. " * 200
    aws_env.client("s3").put_object(Bucket="payloads", Key="documents/big", Body=document.encode())
    send(aws_env, {"job_id": "big", "task": "summarize", "document_uri": "s3://payloads/documents/big"})
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    job = aws_env.job("big")
    assert "result" not in job
    assert job["result_uri"] == "s3://payloads/results/big.txt"
    stored = aws_env.client("s3").get_object(Bucket="payloads", Key="results/big.txt")["Body"].read().decode()
    assert (
        stored.startswith("This sentence is long enough") and len(stored.encode()) == job["result_bytes"] > 50
    )


# -- batches ---------------------------------------------------------------------------------------
def test_partial_batch_failure_reports_only_the_failed_record(aws_env, fake_bedrock):
    fake_bedrock.config.poison_marker = "ALWAYS-500"
    ids = {
        name: send(aws_env, job_body(name, doc))
        for name, doc in (("ok-1", "Fine."), ("bad", "ALWAYS-500 here."), ("ok-2", "Also fine."))
    }
    response, event = run_consumer(aws_env)
    assert len(event["Records"]) == 3
    assert failed_ids(response) == {ids["bad"]}
    assert aws_env.job("ok-1")["status"] == aws_env.job("ok-2")["status"] == "complete"
    assert aws_env.job("bad")["status"] == "pending"
    assert queue_counts(aws_env) == (0, 1)


def test_records_of_a_batch_run_concurrently(aws_env, fake_bedrock):
    fake_bedrock.config.latency_seconds = 0.3
    for i in range(10):
        send(aws_env, job_body(f"c{i}", f"Document number {i}."))
    response, event = run_consumer(aws_env)
    assert len(event["Records"]) == 10 and response["batchItemFailures"] == []
    # Overlapping requests at the model prove the batch is not processed one by one.
    assert fake_bedrock.max_in_flight >= 5


def test_concurrency_is_bounded_by_max_concurrent_records(aws_env, fake_bedrock, monkeypatch):
    set_env(monkeypatch, MAX_CONCURRENT_RECORDS="2")
    fake_bedrock.config.latency_seconds = 0.2
    for i in range(6):
        send(aws_env, job_body(f"b{i}"))
    response, _ = run_consumer(aws_env)
    assert response["batchItemFailures"] == []
    assert fake_bedrock.max_in_flight == 2


def test_deadline_guard_hands_back_records_it_cannot_finish(aws_env, fake_bedrock):
    ids = {send(aws_env, job_body(f"late-{i}")) for i in range(3)}
    # One attempt with the test timeouts needs 1 s connect + 1 s read + 3 s storage = 5 s; 4 s are left.
    response, _ = run_consumer(aws_env, context=FakeLambdaContext(timeout_seconds=4))
    assert failed_ids(response) == ids
    assert fake_bedrock.calls == []
    assert all(aws_env.job(f"late-{i}") is None for i in range(3))  # never claimed
    # Handed back at once (visibility 0), not after a backoff.
    assert queue_counts(aws_env) == (3, 0)


def test_no_botocore_retry_that_would_overrun_the_invocation(aws_env, fake_bedrock):
    fake_bedrock.push_script("throttle", "ok")
    message_id = send(aws_env, job_body("tight"))
    # 6 s left: enough to start (5 s), not for a retry (up to 2 s backoff + 2 s attempt, 3 s reserved).
    response, _ = run_consumer(aws_env, context=FakeLambdaContext(timeout_seconds=6))
    assert failed_ids(response) == {message_id}
    assert [c.outcome for c in fake_bedrock.calls_for("tight")] == ["throttle"]
    assert aws_env.job("tight")["last_error"] == (
        "Bedrock ThrottlingException; no time left for another attempt"
    )


def test_with_time_to_spare_botocore_retries_as_usual(aws_env, fake_bedrock):
    fake_bedrock.push_script("throttle", "ok")
    send(aws_env, job_body("roomy"))
    response, _ = run_consumer(aws_env, context=FakeLambdaContext(timeout_seconds=30))
    assert response["batchItemFailures"] == []
    assert [c.outcome for c in fake_bedrock.calls_for("roomy")] == ["throttle", "ok"]


# -- FIFO ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("aws_env", [{"fifo": True}], indirect=True)
def test_fifo_stops_a_group_at_its_first_failure(aws_env, fake_bedrock):
    fake_bedrock.config.poison_marker = "ALWAYS-500"
    a1 = send(aws_env, job_body("a1", "ALWAYS-500 first in group a."), group="a")
    a2 = send(aws_env, job_body("a2", "second in group a."), group="a")
    a3 = send(aws_env, job_body("a3", "third in group a."), group="a")
    send(aws_env, job_body("b1", "first in group b."), group="b")
    send(aws_env, job_body("b2", "second in group b."), group="b")
    response, event = run_consumer(aws_env)
    assert len(event["Records"]) == 5
    assert failed_ids(response) == {a1, a2, a3}
    assert aws_env.job("b1")["status"] == aws_env.job("b2")["status"] == "complete"
    # a2 and a3 never reached the model: order within the group is kept.
    assert fake_bedrock.calls_for("a2") == [] and fake_bedrock.calls_for("a3") == []
    assert aws_env.job("a2") is None


@pytest.mark.parametrize("aws_env", [{"fifo": True}], indirect=True)
def test_fifo_processes_a_group_in_order(aws_env, fake_bedrock):
    for i in range(4):
        send(aws_env, job_body(f"o{i}", f"Ordered document {i}."), group="g")
    # A group runs on one thread, so later records start later; each only needs one attempt's budget.
    response, _ = run_consumer(aws_env, context=FakeLambdaContext(timeout_seconds=12))
    assert response["batchItemFailures"] == []
    assert [c.job_id for c in fake_bedrock.calls] == ["o0", "o1", "o2", "o3"]


# -- observability -----------------------------------------------------------------------------
def test_metrics_and_per_record_correlation_ids(aws_env, fake_bedrock, capsys):
    import io
    import logging

    from bedrock_jobs.observability import logger

    # Capture exactly what Powertools' JSON formatter writes, whatever stream pytest swapped in.
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    logger.addHandler(capture)
    logger.setLevel("INFO")
    try:
        send(aws_env, job_body("m-a", "A private document.", correlation_id="corr-a"))
        send(aws_env, job_body("m-b", "Another private document."), attributes={"correlation_id": "corr-b"})
        run_consumer(aws_env)
    finally:
        logger.setLevel("INFO")
        logger.removeHandler(capture)
    emf = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and "JobsCompleted" in line
    ]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert sorted((m["task"], m["JobsCompleted"]) for m in emf) == [
        ("summarize", [1.0]),
        ("summarize", [1.0]),
    ]
    assert all(m["model_id"] == MODEL and m["InputTokens"][0] > 0 for m in emf)
    completes = {
        line["job_id"]: line["correlation_id"] for line in lines if line.get("message") == "job complete"
    }
    assert completes == {"m-a": "corr-a", "m-b": "corr-b"}
    assert "private document" not in stream.getvalue()  # document text is never logged


def test_handlers_accept_a_missing_or_minimal_context(aws_env, fake_bedrock):
    from bedrock_jobs import consumer

    send(aws_env, job_body("no-ctx"))
    event = receive(aws_env)
    response = consumer.handler(event)  # no context at all, e.g. a script or another service's test
    assert response == {"batchItemFailures": []}
    assert aws_env.job("no-ctx")["status"] == "complete"


def test_a_mock_context_is_not_mistaken_for_a_deadline(aws_env, fake_bedrock):
    from unittest.mock import MagicMock

    from bedrock_jobs import consumer

    send(aws_env, job_body("mocked"))
    response = consumer.handler(receive(aws_env), MagicMock())
    assert response == {"batchItemFailures": []}
    assert aws_env.job("mocked")["status"] == "complete"


def test_without_an_archive_bucket_a_poison_message_stays_queued(aws_env, fake_bedrock, monkeypatch):
    monkeypatch.delenv("ARCHIVE_BUCKET")
    message_id = send(aws_env, "not json")
    response, _ = run_consumer(aws_env)
    assert failed_ids(response) == {message_id}  # never deleted unarchived; the DLQ archiver gets it


def test_archive_keeps_the_record_as_delivered(aws_env, fake_bedrock):
    message_id = send(aws_env, "not json", attributes={"job_id": "x-1"})
    run_consumer(aws_env)
    [archived] = aws_env.archived()
    record = archived["record"]
    assert record["messageId"] == message_id and record["body"] == "not json"
    assert record["messageAttributes"]["job_id"]["stringValue"] == "x-1"
    assert "receiptHandle" not in record


def test_minimal_hand_built_records_are_handled(aws_env, fake_bedrock):
    """Records carrying only messageId and body (a hand-built event) still get the full treatment."""
    from bedrock_jobs import consumer, dlq_archiver

    fake_bedrock.config.poison_marker = "ALWAYS-500"
    event = {
        "Records": [
            {"messageId": "m-ok", "body": json.dumps(job_body("hand-1"))},
            {"messageId": "m-retry", "body": json.dumps(job_body("hand-2", "ALWAYS-500 here."))},
            {"messageId": "m-poison", "body": "{not json"},
        ]
    }
    response = consumer.handler(event, FakeLambdaContext(timeout_seconds=50))
    assert response["batchItemFailures"] == [{"itemIdentifier": "m-retry"}]
    assert (aws_env.job("hand-1")["status"], aws_env.job("hand-2")["status"]) == ("complete", "pending")
    assert [a["message_id"] for a in aws_env.archived()] == ["m-poison"]
    response = dlq_archiver.handler(
        {"Records": [{"messageId": "d-1", "body": json.dumps(job_body("hand-2"))}]},
        FakeLambdaContext(timeout_seconds=30),
    )
    assert response == {"batchItemFailures": []}
    assert aws_env.job("hand-2")["status"] == "failed"  # tried once: failed, not sent back
