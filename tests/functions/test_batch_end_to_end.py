"""Batch mode end to end (issue 10, "Done when"): POST /jobs with ``"mode": "batch"`` → batch submitter →
the fake Bedrock batch job → its state-change event → batch collector (→ the realtime consumer for what
the batch did not answer). Every job completes on the record the producer wrote, is answered once and
is announced once.
"""

from __future__ import annotations

from typing import Any

from bedrock_jobs import batch_collector, producer
from bedrock_jobs_local.aws_faults import FaultControl
from bedrock_jobs_local.fake_bedrock_batch import BatchJobFaults

from tests.functions.test_batch_submitter import BatchHarness, batch_fixture  # noqa: F401
from tests.support.http_events import get_job, parse_response
from tests.support.jobs import queue_counts, set_env
from tests.support.lambda_events import FakeLambdaContext

LABELS = ["finance", "sport", "weather"]


def deliver_events_to_the_collector(harness: BatchHarness) -> list[dict[str, Any]]:
    """Route the fake's state-change events to the collector, as the EventBridge rule does."""
    answers: list[dict[str, Any]] = []

    def on_state_change(event: dict[str, Any]) -> None:
        harness.events.append(event)
        context = FakeLambdaContext(300, "bedrock-jobs-batch-collector")
        answers.append(batch_collector.handler(event, context))

    harness.fake.on_state_change = on_state_change
    return answers


def test_a_batch_of_jobs_posted_in_batch_mode_completes_on_the_same_records(batch, fake_bedrock):
    answers = deliver_events_to_the_collector(batch)
    summaries = batch.post(100)
    labelled = batch.post(30, start=100, task="classify", labels=LABELS)
    created = {j: job["created_at"] for j, job in batch.jobs().items()}
    assert sorted(created) == sorted(summaries + labelled)

    [arn] = batch.submit()["batch_jobs"]
    status, shown = parse_response(producer.handler(get_job(labelled[0]), FakeLambdaContext(10)))
    assert (status, shown["status"], shown["mode"], shown["batch_job_arn"]) == (
        200,
        "processing",
        "batch",
        arn,
    )
    batch.fake.run_until_done(arn)

    assert [a["collected"] for a in answers if a["collected"]] == [
        [{"job_arn": arn, "status": "Completed", "completed": 130, "fell_back": 0, "untouched": 0}]
    ]
    jobs = batch.jobs()
    assert sorted(jobs) == sorted(created)
    for job_id, job in jobs.items():
        assert job["created_at"] == created[job_id]  # the producer's record, completed in place
        assert (job["status"], job["mode"], job["batch_job_arn"]) == ("complete", "batch", arn)
        assert job["result"] and job["input_tokens"] > 0 and job["output_tokens"] > 0
        assert job["stop_reason"] == "end_turn" and job["attempts"] == 1
    assert all(jobs[j]["result"] in LABELS and jobs[j]["label_matched"] is True for j in labelled)
    assert all("label_matched" not in jobs[j] for j in summaries)
    status, shown = parse_response(producer.handler(get_job(summaries[0]), FakeLambdaContext(10)))
    assert (status, shown["status"], shown["result"]) == (200, "complete", jobs[summaries[0]]["result"])

    notices = batch.aws.published(batch.aws.results_inbox_url)
    assert sorted(n["job_id"] for n in notices) == sorted(created)  # one each
    assert batch.fake.answered_by_record() == {j: 1 for j in created}
    assert fake_bedrock.calls == [] and queue_counts(batch.aws) == (0, 0) and batch.waiting() == []


def test_a_retried_submit_and_a_partial_batch_with_record_errors_still_answer_every_job_once(
    batch, fake_bedrock, aws_faults: FaultControl, monkeypatch
):
    set_env(monkeypatch, INLINE_RESULT_MAX_BYTES="0")  # every result goes to S3, as large ones do
    deliver_events_to_the_collector(batch)
    batch.fake.push_job_faults(BatchJobFaults(unprocessed_fraction=0.1))
    job_ids = batch.post(120, marker_every=8)
    aws_faults.add("dynamodb", "UpdateItem", "InternalError", 500, times=None, match="model-invocation-job/")
    try:
        batch.submit()
    except Exception as exc:  # the run stops after creating the job, before marking its jobs
        assert "InternalError" in str(exc)
    else:
        raise AssertionError("the injected fault did not stop the run")
    aws_faults.clear()
    [arn] = batch.submit()["batch_jobs"]
    assert len(batch.fake.job_ids()) == 1

    batch.fake.run_until_done(arn)
    fell_back = {j for j, job in batch.jobs().items() if job["status"] == "pending"}
    assert batch.fake.status(arn) == "PartiallyCompleted" and len(fell_back) > 12
    assert queue_counts(batch.aws) == (len(fell_back), 0)
    batch.drain_realtime()

    jobs = batch.jobs()
    assert {j["status"] for j in jobs.values()} == {"complete"} and sorted(jobs) == sorted(job_ids)
    from_batch, from_realtime = batch.fake.answered_by_record(), fake_bedrock.successful_calls_by_job()
    assert set(from_batch) | set(from_realtime) == set(job_ids)
    assert not set(from_batch) & set(from_realtime)
    assert set(from_batch.values()) == {1} and set(from_realtime.values()) == {1}
    assert set(from_realtime) == fell_back
    s3 = batch.aws.client("s3")
    for job_id, job in jobs.items():
        assert "result" not in job
        stored = s3.get_object(Bucket="payloads", Key=f"results/{job_id}.txt")["Body"].read().decode()
        assert (
            job["result_uri"] == f"s3://payloads/results/{job_id}.txt" and len(stored) == job["result_bytes"]
        )
    notices = batch.aws.published(batch.aws.results_inbox_url)
    assert sorted(n["job_id"] for n in notices) == sorted(job_ids)
