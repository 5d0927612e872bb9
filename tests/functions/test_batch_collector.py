"""The batch collector (SPEC "Batch mode"), through ``batch_collector.handler`` against moto and the fake
Bedrock control plane: jobs complete from ``modelOutput`` like the consumer completes them, records
with an error or missing from the output go back to the realtime queue exactly once, and collecting
again changes nothing.
"""

from __future__ import annotations

import json

import boto3
import pytest
from bedrock_jobs_local.aws_faults import FaultControl
from bedrock_jobs_local.fake_bedrock_batch import BatchJobFaults
from botocore.exceptions import ClientError

from tests.conftest import REGION
from tests.functions.test_batch_submitter import BATCH_BUCKET, MODEL, BatchHarness, batch_fixture  # noqa: F401
from tests.support.jobs import set_env
from tests.support.metrics import metric_total


def submitted(harness: BatchHarness, count: int, **post: object) -> tuple[list[str], str]:
    """``count`` batch jobs posted and submitted as one batch job, run to its end; (job ids, job ARN)."""
    job_ids = harness.post(count, **post)
    [arn] = harness.submit()["batch_jobs"]
    harness.finish_jobs()
    return job_ids, arn


def manifest_bodies(harness: BatchHarness, arn: str) -> dict[str, str]:
    [create] = [
        c for c in harness.fake.calls if c.operation == "CreateModelInvocationJob" and c.job_arn == arn
    ]
    manifest = harness.s3_json(f"batch-input/{create.params['clientRequestToken']}/submission.json")
    return {j["job_id"]: j["body"] for j in manifest["jobs"]}


def test_answers_complete_their_jobs_and_record_errors_go_to_realtime_once(batch, fake_bedrock):
    job_ids, arn = submitted(batch, 100, marker_every=10)
    errored = {j for n, j in enumerate(job_ids) if n % 10 == 0}
    [final] = batch.final_events()
    assert final["detail"]["status"] == "Completed"

    summary = batch.collect(final)

    assert summary["collected"] == [
        {"job_arn": arn, "status": "Completed", "completed": 90, "fell_back": 10, "untouched": 0}
    ]
    jobs = batch.jobs()
    for job_id in set(job_ids) - errored:
        job = jobs[job_id]
        assert (job["status"], job["mode"], job["batch_job_arn"], job["model_id"]) == (
            "complete",
            "batch",
            arn,
            MODEL,
        )
        assert job["result"] and job["input_tokens"] > 0 and job["output_tokens"] > 0
        assert job["stop_reason"] == "end_turn" and job["result_bytes"] == len(job["result"].encode())
    for job_id in errored:
        job = jobs[job_id]
        assert (job["status"], job["mode"], job["batch_fallback_from"]) == ("pending", "realtime", arn)
        assert "batch_job_arn" not in job and job["batch_fallback_sent_at"]
        assert job["batch_fallback_reason"].startswith("batch record error 400")
    bodies = manifest_bodies(batch, arn)
    sent = batch.realtime_messages()
    assert sorted(m["Body"] for m in sent) == sorted(bodies[j] for j in errored)  # exactly once each
    assert {m["MessageAttributes"]["job_id"]["StringValue"] for m in sent} == errored
    notices = batch.aws.published(batch.aws.results_inbox_url)
    assert sorted(n["job_id"] for n in notices) == sorted(set(job_ids) - errored)
    assert {(n["event"], n["status"]) for n in notices} == {("job.complete", "complete")}
    key = f"batch-output/{arn.rsplit('/', 1)[-1]}/collected.json"
    assert batch.s3_json(key)["completed"] == 90

    batch.drain_realtime()  # the consumer finishes what the batch could not

    jobs = batch.jobs()
    assert {j["status"] for j in jobs.values()} == {"complete"}
    assert fake_bedrock.successful_calls_by_job() == {j: 1 for j in errored}
    assert batch.fake.answered_by_record() == {j: 1 for j in set(job_ids) - errored}
    assert sorted(n["job_id"] for n in batch.aws.published(batch.aws.results_inbox_url)) == sorted(errored)


@pytest.mark.parametrize(
    ("faults", "status", "missing"),
    [
        (BatchJobFaults(unprocessed_fraction=0.25), "PartiallyCompleted", 25),
        (BatchJobFaults(expire_after_records=60), "Expired", 40),
        (BatchJobFaults(fail_after_records=30), "Failed", 70),
        (BatchJobFaults(fail_after_records=0), "Failed", 100),
    ],
)
def test_records_a_finished_job_never_processed_go_to_realtime_once(
    batch, fake_bedrock, capsys, faults, status, missing
):
    batch.fake.push_job_faults(faults)
    job_ids, arn = submitted(batch, 100)
    assert batch.fake.status(arn) == status
    answered = set(batch.fake.answered_by_record())
    capsys.readouterr()

    summary = batch.collect()  # the poll finds the job

    assert summary["collected"] == [
        {"job_arn": arn, "status": status, "completed": 100 - missing, "fell_back": missing, "untouched": 0}
    ]
    out = capsys.readouterr().out
    assert metric_total(out, "BatchRecordsFellBack") == missing
    assert metric_total(out, "BatchRecordsCompleted") == 100 - missing
    assert metric_total(out, "BatchJobsFailed") == (status == "Failed")
    assert metric_total(out, "BatchJobsExpired") == (status == "Expired")
    unanswered = set(job_ids) - answered
    assert len(unanswered) == missing
    sent = [json.loads(m["Body"])["job_id"] for m in batch.realtime_messages()]
    assert sorted(sent) == sorted(unanswered)
    jobs = batch.jobs()
    assert {jobs[j]["batch_fallback_reason"] for j in unanswered} == {f"not processed by batch job {status}"}

    batch.drain_realtime()

    assert {j["status"] for j in batch.jobs().values()} == {"complete"}
    assert fake_bedrock.successful_calls_by_job() == {j: 1 for j in unanswered}


def test_collecting_again_by_event_and_by_poll_changes_nothing(batch):
    job_ids, arn = submitted(batch, 100, marker_every=4)
    # A job settled another way before the collector ran keeps what it has.
    elsewhere = job_ids[1]
    batch.aws.client("dynamodb").update_item(
        TableName=batch.aws.table,
        Key={"job_id": {"S": elsewhere}},
        UpdateExpression="SET #s = :c, #r = :r",
        ExpressionAttributeNames={"#s": "status", "#r": "result"},
        ExpressionAttributeValues={":c": {"S": "complete"}, ":r": {"S": "answered elsewhere"}},
    )
    [final] = batch.final_events()
    first = batch.collect(final)["collected"][0]
    assert (first["completed"], first["fell_back"], first["untouched"]) == (74, 25, 1)
    jobs = batch.jobs()
    notices = batch.aws.published(batch.aws.results_inbox_url)
    sent = batch.realtime_messages()
    assert len(notices) == 74 and len(sent) == 25 and jobs[elsewhere]["result"] == "answered elsewhere"

    again = batch.collect(final)
    polled = batch.collect()
    # Even without the collected marker, every record is already settled.
    marker = f"batch-output/{arn.rsplit('/', 1)[-1]}/collected.json"
    batch.aws.client("s3").delete_object(Bucket=BATCH_BUCKET, Key=marker)
    recollected = batch.collect()

    assert again["collected"][0]["skipped"] == "already collected" and polled == {"collected": []}
    assert recollected["collected"][0] == {
        "job_arn": arn,
        "status": "Completed",
        "completed": 0,
        "fell_back": 0,
        "untouched": 100,
    }
    assert batch.jobs() == jobs
    assert batch.aws.published(batch.aws.results_inbox_url) == []
    assert sorted(m["MessageId"] for m in batch.realtime_messages()) == sorted(m["MessageId"] for m in sent)


def test_a_fallback_whose_message_was_not_sent_is_sent_by_the_next_run(batch, aws_faults: FaultControl):
    job_ids, arn = submitted(batch, 100, marker_every=5)
    errored = {j for n, j in enumerate(job_ids) if n % 5 == 0}
    aws_faults.add("sqs", "SendMessage", "InternalError", 500, times=None)

    with pytest.raises(ClientError):
        batch.collect()

    # The run stopped part-way: records it reached are pending, not yet sent; the others still wait.
    jobs = batch.jobs()
    states = {(jobs[j]["status"], jobs[j].get("batch_fallback_from")) for j in errored}
    assert ("pending", arn) in states and states <= {("pending", arn), ("processing", None)}
    assert not any("batch_fallback_sent_at" in jobs[j] for j in errored)
    assert batch.keys(f"batch-output/{arn.rsplit('/', 1)[-1]}/collected.json") == []
    assert batch.realtime_messages() == []
    first_notices = len(batch.aws.published(batch.aws.results_inbox_url))
    aws_faults.clear()

    summary = batch.collect()

    assert summary["collected"][0]["fell_back"] == 20
    assert summary["collected"][0]["completed"] == 80 - first_notices
    sent = [json.loads(m["Body"])["job_id"] for m in batch.realtime_messages()]
    assert sorted(sent) == sorted(errored)  # each exactly once
    jobs = batch.jobs()
    assert all(jobs[j]["batch_fallback_sent_at"] for j in errored)
    assert first_notices + len(batch.aws.published(batch.aws.results_inbox_url)) == 80
    assert {jobs[j]["status"] for j in set(job_ids) - errored} == {"complete"}
    assert batch.collect() == {"collected": []}


def test_events_of_unfinished_jobs_are_ignored(batch):
    batch.post(100)
    [arn] = batch.submit()["batch_jobs"]
    [submitted_event] = batch.events

    assert batch.collect(submitted_event) == {"collected": [], "ignored_status": "Submitted"}
    assert {j["status"] for j in batch.jobs().values()} == {"processing"}
    assert batch.keys("batch-output/") == [] and batch.fake.status(arn) == "Submitted"


def test_jobs_of_another_deployment_are_neither_counted_nor_collected(batch, monkeypatch):
    bedrock = boto3.client("bedrock", region_name=REGION, endpoint_url=batch.fake.endpoint_url)
    # Its name contains ours ("jobs-batch"), so nameContains alone would match it.
    other = bedrock.create_model_invocation_job(
        jobName="jobs-batch-archive-" + "0" * 20,
        roleArn="arn:aws:iam::123456789012:role/other",
        modelId=MODEL,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{BATCH_BUCKET}/elsewhere/"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{BATCH_BUCKET}/elsewhere-out/"}},
    )["jobArn"]
    set_env(monkeypatch, BATCH_MAX_JOBS_IN_FLIGHT="1")
    batch.post(100)

    summary = batch.submit()  # the other deployment's unfinished job takes no slot of ours

    assert summary["in_flight"] == 0 and len(summary["batch_jobs"]) == 1
    batch.fake.run_until_done(other)
    other_event = next(e for e in batch.final_events() if e["detail"]["batchJobArn"] == other)
    assert batch.collect(other_event)["collected"][0]["skipped"] == "not ours"
    assert batch.collect() == {"collected": []}  # ours has not finished; the other is not ours
    assert batch.keys("elsewhere-out/") == []
