"""The consumer's guarantees under AWS faults (issue 8, items 1, 5, 6 and 14).

Faults are injected inside the embedded AWS (``aws_faults``) and the fake Bedrock, so the functions'
own SDK retries run; outcomes are read from the table, the queues, the archive, the alerts inbox and
the fake model's own log of successful calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from bedrock_jobs_local.aws_faults import FaultControl
from bedrock_jobs_local.fake_bedrock import FakeBedrock, summarize
from bedrock_jobs_local.module_defaults import load_module_defaults

from tests.conftest import AwsResources
from tests.support.jobs import (
    failed_ids,
    job_body,
    queue_counts,
    receive,
    run_archiver,
    run_consumer,
    send,
    set_env,
)
from tests.support.lambda_events import FakeLambdaContext
from tests.support.metrics import metric_total

# The complete write is the only job update naming this attribute (see JobStore.complete).
COMPLETE_WRITE = "completed_at"
THROTTLED = "ProvisionedThroughputExceededException"


@dataclass(frozen=True)
class Redelivery:
    message_id: str
    receive_count: str
    seconds: int


@pytest.fixture
def redeliveries(monkeypatch: pytest.MonkeyPatch) -> list[Redelivery]:
    """Every visibility change the consumer asks SQS for (it is still made), in order."""
    from bedrock_jobs import batch

    seen: list[Redelivery] = []
    original = batch.delay_redelivery

    def observed(record: dict[str, Any], seconds: int, logger: Any) -> bool:
        count = (record.get("attributes") or {}).get("ApproximateReceiveCount", "")
        seen.append(Redelivery(record["messageId"], count, seconds))
        return original(record, seconds, logger)

    for module in ("bedrock_jobs.job_processor", "bedrock_jobs.batch"):
        monkeypatch.setattr(f"{module}.delay_redelivery", observed)
    return seen


def expire_lease(aws: AwsResources, job_id: str) -> None:
    """What the passing of time does to a crashed invocation's lease."""
    aws.client("dynamodb").update_item(
        TableName=aws.table,
        Key={"job_id": {"S": job_id}},
        UpdateExpression="SET lease_expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(Decimal(str(time.time() - 1)))}},
    )


# -- item 5: once the model answered, the answer survives -------------------------------------------
def test_a_throttled_complete_write_is_finished_from_the_saved_answer_without_a_second_call(
    aws_env: AwsResources,
    aws_faults: FaultControl,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="0")
    aws_faults.add("dynamodb", "UpdateItem", THROTTLED, 400, times=None, match=COMPLETE_WRITE)
    send(aws_env, job_body("saved-1"))

    first, _ = run_consumer(aws_env)
    assert len(first["batchItemFailures"]) == 1
    assert aws_faults.count("dynamodb", "UpdateItem") >= 2  # botocore retried it before giving up
    assert aws_env.job("saved-1")["status"] == "pending"
    aws_faults.clear()

    second, _ = run_consumer(aws_env)
    assert second["batchItemFailures"] == []
    job = aws_env.job("saved-1")
    assert job["status"] == "complete" and job["result"]
    assert fake_bedrock.successful_calls_by_job()["saved-1"] == 1
    assert queue_counts(aws_env) == (0, 0)


def test_an_s3_error_storing_a_large_result_does_not_cost_a_second_model_call(
    aws_env: AwsResources,
    aws_faults: FaultControl,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="0", INLINE_RESULT_MAX_BYTES="10")
    aws_faults.add("s3", "PutObject", "SlowDown", 503, times=None, path="results/large-1.txt")
    send(aws_env, job_body("large-1"))

    first, _ = run_consumer(aws_env)
    assert len(first["batchItemFailures"]) == 1
    aws_faults.clear()
    second, _ = run_consumer(aws_env)

    assert second["batchItemFailures"] == []
    job = aws_env.job("large-1")
    assert job["status"] == "complete" and job["result_uri"] == "s3://payloads/results/large-1.txt"
    stored = aws_env.client("s3").get_object(Bucket="payloads", Key="results/large-1.txt")["Body"].read()
    assert stored.decode() == summarize(job_body("large-1")["document"])
    assert fake_bedrock.successful_calls_by_job()["large-1"] == 1


def test_a_crash_after_the_answer_was_saved_is_finished_by_the_next_delivery(
    aws_env: AwsResources,
    aws_faults: FaultControl,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The invocation dies after saving the answer: it neither completes nor gives the lease back."""
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="0")
    aws_faults.add("dynamodb", "UpdateItem", "InternalServerError", 500, times=None, match=COMPLETE_WRITE)
    # The give-back write is the other update naming last_error (the claim does not).
    aws_faults.add("dynamodb", "UpdateItem", "InternalServerError", 500, times=None, match="last_error")
    send(aws_env, job_body("crash-1"))
    run_consumer(aws_env)
    assert aws_env.job("crash-1")["status"] == "processing"  # a crashed holder's lease
    aws_faults.clear()

    redelivered = receive(aws_env)
    blocked, _ = run_consumer(aws_env, redelivered)  # the lease is live: it waits for the lease's end
    assert len(blocked["batchItemFailures"]) == 1
    expire_lease(aws_env, "crash-1")
    aws_env.client("sqs").change_message_visibility(  # ... which is now
        QueueUrl=aws_env.queue_url,
        ReceiptHandle=redelivered["Records"][0]["receiptHandle"],
        VisibilityTimeout=0,
    )
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="0")
    deadline = time.monotonic() + 30
    while aws_env.job("crash-1")["status"] != "complete" and time.monotonic() < deadline:
        run_consumer(aws_env)

    job = aws_env.job("crash-1")
    assert job["status"] == "complete" and job["attempts"] == 2
    assert fake_bedrock.successful_calls_by_job()["crash-1"] == 1


def test_a_job_dead_lettered_with_a_saved_answer_is_sent_back_and_finished_from_it(
    aws_env: AwsResources,
    aws_faults: FaultControl,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every delivery fails to store the job; the archiver must not throw the saved answer away."""
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="0")
    aws_faults.add("dynamodb", "UpdateItem", THROTTLED, 400, times=None, match=COMPLETE_WRITE)
    send(aws_env, job_body("stored-late"))
    for _ in range(3):  # the queue's maxReceiveCount
        run_consumer(aws_env)
    aws_faults.clear()
    assert receive(aws_env)["Records"] == []  # the next receive moves it to the DLQ instead
    assert queue_counts(aws_env, "dlq") == (1, 0)

    archived, _ = run_archiver(aws_env)
    assert archived == {"batchItemFailures": []}
    assert queue_counts(aws_env) == (1, 0) and aws_env.job("stored-late")["status"] == "pending"
    run_consumer(aws_env)

    job = aws_env.job("stored-late")
    assert job["status"] == "complete" and job["result"]
    assert fake_bedrock.successful_calls_by_job()["stored-late"] == 1
    assert aws_env.published(aws_env.alerts_inbox_url) == []


def test_a_result_that_would_push_the_item_over_400_kb_goes_to_s3_and_is_asked_for_once(
    aws_env: AwsResources, fake_bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inline limit alone is not enough: the job's other attributes share the item's 400 KB."""
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="0", INLINE_RESULT_MAX_BYTES="300000")
    fake_bedrock.config.summary_chars = 300_000
    document = "The printer is on fire. " * 10_000  # 240,000 bytes, summarised whole
    aws_env.client("s3").put_object(Bucket="payloads", Key="documents/big", Body=document.encode())
    body = {
        "job_id": "big-item",
        "task": "summarize",
        "document_uri": "s3://payloads/documents/big",
        "metadata": {"notes": "n" * 180_000},
    }
    send(aws_env, body)

    for _ in range(3):
        if aws_env.job("big-item") and aws_env.job("big-item")["status"] == "complete":
            break
        run_consumer(aws_env)

    job = aws_env.job("big-item")
    assert job["status"] == "complete" and "result" not in job
    assert job["result_uri"] == "s3://payloads/results/big-item.txt" and job["result_bytes"] > 200_000
    assert fake_bedrock.successful_calls_by_job()["big-item"] == 1


def test_when_neither_store_accepts_the_answer_the_job_is_retried_not_lost(
    aws_env: AwsResources,
    aws_faults: FaultControl,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The one case that costs a second call: S3 and the table both refuse the answer."""
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="0")
    aws_faults.add("s3", "PutObject", "InternalError", 500, times=None)
    aws_faults.add("dynamodb", "UpdateItem", THROTTLED, 400, times=None, match=COMPLETE_WRITE)
    send(aws_env, job_body("both-down"))
    run_consumer(aws_env)
    aws_faults.clear()
    run_consumer(aws_env)
    assert aws_env.job("both-down")["status"] == "complete"
    assert fake_bedrock.successful_calls_by_job()["both-down"] == 2


def test_a_claim_that_landed_but_answered_500_is_recognised_as_ours_on_the_retry(
    aws_env: AwsResources, aws_faults: FaultControl, fake_bedrock: FakeBedrock
) -> None:
    """Found by the chaos run: botocore retries the claim, whose condition then meets our own lease."""
    aws_faults.add(
        "dynamodb", "UpdateItem", "InternalServerError", 500, times=1, after=True, match="started_at"
    )
    send(aws_env, job_body("own-claim"))

    response, _ = run_consumer(aws_env)

    assert response == {"batchItemFailures": []}
    assert aws_faults.count("dynamodb", "UpdateItem") == 1
    job = aws_env.job("own-claim")
    assert job["status"] == "complete" and job["attempts"] == 1
    assert fake_bedrock.successful_calls_by_job()["own-claim"] == 1


def test_a_complete_write_that_landed_but_answered_500_still_announces_the_job(
    aws_env: AwsResources, aws_faults: FaultControl, fake_bedrock: FakeBedrock
) -> None:
    """The retry of a landed completion is recognised as ours, not taken for a lost lease."""
    aws_faults.add(
        "dynamodb", "UpdateItem", "InternalServerError", 500, times=1, after=True, match=COMPLETE_WRITE
    )
    send(aws_env, job_body("own-complete"))

    response, _ = run_consumer(aws_env)

    assert response == {"batchItemFailures": []}
    assert aws_env.job("own-complete")["status"] == "complete"
    notices = aws_env.published(aws_env.results_inbox_url)
    assert [(n["job_id"], n["event"]) for n in notices] == [("own-complete", "job.complete")]
    assert fake_bedrock.successful_calls_by_job()["own-complete"] == 1


# -- item 6: the first model attempt is gated by the deadline too -----------------------------------
def test_a_slow_claim_leaves_no_time_for_the_model_so_it_is_not_called(
    aws_env: AwsResources, aws_faults: FaultControl, fake_bedrock: FakeBedrock
) -> None:
    # Budget to start: 1 s connect + 1 s read + 3 s storage = 5 s of the 6 s invocation. The claim then
    # takes 2.5 s, leaving 0.5 s before the storage margin: not enough for one 2 s attempt.
    send(aws_env, job_body("late-1"))
    event = receive(aws_env)
    aws_faults.add("dynamodb", "UpdateItem", None, match="started_at", delay_seconds=2.5)

    response, _ = run_consumer(aws_env, event, FakeLambdaContext(timeout_seconds=6))

    assert failed_ids(response) == {event["Records"][0]["messageId"]}
    assert fake_bedrock.calls_for("late-1") == []
    job = aws_env.job("late-1")
    # Given back untried: the claim is not counted as an attempt and the message is visible again at once.
    assert job["status"] == "pending" and job["attempts"] == 0
    assert queue_counts(aws_env) == (1, 0)


# -- item 14: deployment mistakes and throttling storms do not fail jobs ----------------------------
def test_model_access_denied_keeps_the_job_and_pages_nobody_per_job(
    aws_env: AwsResources,
    fake_bedrock: FakeBedrock,
    redeliveries: list[Redelivery],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_bedrock.push_script("access_denied", "access_denied", "access_denied", "access_denied")
    for n in range(2):
        send(aws_env, job_body(f"denied-{n}"))

    response, _ = run_consumer(aws_env)

    assert len(response["batchItemFailures"]) == 2
    for n in range(2):
        job = aws_env.job(f"denied-{n}")
        assert job["status"] == "pending" and "AccessDeniedException" in job["last_error"]
    assert aws_env.archived() == [] and aws_env.published(aws_env.alerts_inbox_url) == []
    # RETRY_MAX_DELAY_SECONDS: nothing changes until someone fixes the deployment.
    assert [r.seconds for r in redeliveries] == [900, 900]
    assert metric_total(capsys.readouterr().out, "SystemicErrors") == 2


def test_a_table_access_error_is_systemic_too(
    aws_env: AwsResources,
    aws_faults: FaultControl,
    fake_bedrock: FakeBedrock,
    redeliveries: list[Redelivery],
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws_faults.add("dynamodb", "UpdateItem", "AccessDeniedException", 400, times=None)
    send(aws_env, job_body("no-table-access"))
    response, _ = run_consumer(aws_env)
    assert len(response["batchItemFailures"]) == 1
    assert fake_bedrock.calls_for("no-table-access") == []
    assert aws_env.archived() == []
    assert [r.seconds for r in redeliveries] == [900]
    assert metric_total(capsys.readouterr().out, "SystemicErrors") == 1


def test_a_throttling_storm_spans_minutes_before_a_job_can_be_dead_lettered(
    aws_env: AwsResources,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
    redeliveries: list[Redelivery],
) -> None:
    """Module defaults (receive count, throttle backoff base); the jitter draws its lowest value."""
    module = load_module_defaults()
    assert module.queue_max_receive_count == 3
    monkeypatch.setattr("bedrock_jobs.batch.random.random", lambda: 0.0)
    set_env(
        monkeypatch,
        RETRY_THROTTLED_BASE_DELAY_SECONDS=str(module.consumer_retry_throttled_base_delay_seconds),
        RETRY_MAX_DELAY_SECONDS=str(module.consumer_retry_max_delay_seconds),
    )
    fake_bedrock.push_script(*["throttle"] * 6)
    send(aws_env, job_body("storm"))
    sqs = aws_env.client("sqs")
    for _ in range(2):
        event = receive(aws_env)
        run_consumer(aws_env, event)
        sqs.change_message_visibility(
            QueueUrl=aws_env.queue_url,
            ReceiptHandle=event["Records"][0]["receiptHandle"],
            VisibilityTimeout=0,
        )
    assert [(r.receive_count, r.seconds) for r in redeliveries] == [("1", 90), ("2", 180)]
    # Receives 1 and 2 each wait at least this long; receive 3 is the last try before the DLQ.
    assert sum(r.seconds for r in redeliveries) >= 270


# -- item 1: a FIFO group's untried records come back with their head ------------------------------
@pytest.mark.parametrize("aws_env", [{"fifo": True}], indirect=True)
def test_untried_records_of_a_fifo_group_come_back_with_the_head_not_after_the_visibility_timeout(
    aws_env: AwsResources,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
    redeliveries: list[Redelivery],
) -> None:
    monkeypatch.setattr("bedrock_jobs.batch.random.random", lambda: 1.0)
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="4")
    fake_bedrock.push_script("error", "error")
    ids = [send(aws_env, job_body(f"fifo-{n}"), group="g") for n in range(3)]

    response, _ = run_consumer(aws_env)

    assert failed_ids(response) == set(ids)
    assert {r.message_id: r.seconds for r in redeliveries} == {ids[0]: 4, ids[1]: 4, ids[2]: 4}
    assert [fake_bedrock.calls_for(f"fifo-{n}") != [] for n in range(3)] == [True, False, False]
    assert [aws_env.job(f"fifo-{n}") for n in (1, 2)] == [None, None]


# -- issue 9 (chaos run): a crashed holder's lease is waited out, not retried against -----------------
def test_a_delivery_that_meets_a_live_lease_comes_back_when_the_lease_ends(
    aws_env: AwsResources,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
    redeliveries: list[Redelivery],
) -> None:
    """A crashed invocation's lease outlives the short backoff: retrying sooner only burns receives.

    Found by the chaos run: redeliveries met a dead holder's 80 s lease with 1-8 s backoffs until the
    message ran out of receives, so jobs were dead-lettered and failed without a model attempt.
    """
    monkeypatch.setattr("bedrock_jobs.batch.random.random", lambda: 1.0)
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="2")
    aws_env.client("dynamodb").put_item(
        TableName=aws_env.table,
        Item={
            "job_id": {"S": "held"},
            "status": {"S": "processing"},
            "attempts": {"N": "1"},
            "claim_token": {"S": "a-crashed-invocation"},
            "lease_expires_at": {"N": str(round(time.time() + 120, 3))},
        },
    )
    send(aws_env, job_body("held"))

    response, _ = run_consumer(aws_env)

    assert len(response["batchItemFailures"]) == 1
    assert fake_bedrock.calls_for("held") == []
    # The lease's remaining 120 s plus a margin, not the 2 s base backoff.
    [redelivery] = redeliveries
    assert 120 <= redelivery.seconds <= 135
    job = aws_env.job("held")
    assert (job["attempts"], job["claim_token"]) == (1, "a-crashed-invocation")


def test_a_claim_that_landed_but_never_got_an_answer_gives_its_lease_back(
    aws_env: AwsResources,
    aws_faults: FaultControl,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by the chaos run: every attempt of the claim answered 500 although the first one landed.

    The consumer could not know it held the job, so nobody used the lease and the next delivery had to
    wait it out (one receive lost to a lease nobody holds). The claim is given back instead.
    """
    set_env(monkeypatch, RETRY_BASE_DELAY_SECONDS="0")
    # Only the claim names started_at; each attempt is applied by moto, then answered with a 500.
    aws_faults.add(
        "dynamodb", "UpdateItem", "InternalServerError", 500, times=None, after=True, match="started_at"
    )
    send(aws_env, job_body("unconfirmed"))

    first, _ = run_consumer(aws_env)

    assert len(first["batchItemFailures"]) == 1 and fake_bedrock.calls_for("unconfirmed") == []
    job = aws_env.job("unconfirmed")
    assert (job["status"], job["attempts"], job.get("lease_expires_at")) == ("pending", 0, None)
    aws_faults.clear()
    second, _ = run_consumer(aws_env)  # the next delivery claims at once
    assert second["batchItemFailures"] == []
    assert aws_env.job("unconfirmed")["status"] == "complete"
    assert fake_bedrock.successful_calls_by_job()["unconfirmed"] == 1
