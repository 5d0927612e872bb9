"""The batch submitter (SPEC "Batch mode"), through ``batch_submitter.handler`` against moto and the fake
Bedrock control plane (reached through ``AWS_ENDPOINT_URL_BEDROCK``, as in Lambda).

The fake holds jobs to a minimum of 100 records, as Bedrock does for most models, so a submission below
``BATCH_MIN_RECORDS`` would fail there too. ``BatchHarness`` is shared with the collector and end-to-end
tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from bedrock_jobs import batch_collector, batch_submitter, producer
from bedrock_jobs_local.aws_faults import FaultControl
from bedrock_jobs_local.fake_bedrock_batch import FakeBedrockBatch
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, AwsResources
from tests.support.http_events import parse_response, post_jobs
from tests.support.jobs import queue_counts, run_consumer, send, set_env
from tests.support.lambda_events import FakeLambdaContext

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/bedrock-jobs-batch"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
BATCH_BUCKET = "batch-io"


def document(n: int, extra: str = "") -> str:
    return f"Report {n} opens here. Revenue rose in quarter {n}. The board approved the plan. {extra}".strip()


@dataclass
class BatchHarness:
    aws: AwsResources
    fake: FakeBedrockBatch
    queue_url: str
    events: list[dict[str, Any]] = field(default_factory=list)

    # -- submitting jobs -------------------------------------------------------------------------
    def post(
        self, count: int, *, start: int = 0, marker_every: int = 0, extra: str = "", **fields: Any
    ) -> list[str]:
        """``count`` batch jobs through POST /jobs, ``extra`` added to each document; every
        ``marker_every``-th document makes the fake answer its record with an error."""
        job_ids = []
        for n in range(start, start + count):
            marker = "BATCH-RECORD-ERROR" if marker_every and n % marker_every == 0 else extra
            body = {"task": "summarize", "document": document(n, marker), "mode": "batch", **fields}
            status, answer = parse_response(producer.handler(post_jobs(body), FakeLambdaContext(10)))
            assert (status, answer["status"]) == (202, "pending"), answer
            job_ids.append(answer["job_id"])
        return job_ids

    # -- running the handlers --------------------------------------------------------------------
    def submit(self) -> dict[str, Any]:
        return batch_submitter.handler({}, FakeLambdaContext(300, "bedrock-jobs-batch-submitter"))

    def collect(self, event: dict[str, Any] | None = None) -> dict[str, Any]:
        poll = {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}}
        return batch_collector.handler(event or poll, FakeLambdaContext(300, "bedrock-jobs-batch-collector"))

    def finish_jobs(self) -> None:
        for job_id in self.fake.job_ids():
            self.fake.run_until_done(job_id)

    def final_events(self) -> list[dict[str, Any]]:
        final = {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}
        return [e for e in self.events if e["detail"]["status"] in final]

    def drain_realtime(self) -> None:
        """Run the consumer over the realtime queue until it is empty."""
        while queue_counts(self.aws) != (0, 0):
            run_consumer(self.aws)

    # -- reading state ---------------------------------------------------------------------------
    def jobs(self) -> dict[str, dict[str, Any]]:
        items = self.aws.client("dynamodb").get_paginator("scan").paginate(TableName=self.aws.table)
        from bedrock_jobs.job_store import _from_item

        return {i["job_id"]["S"]: _from_item(i) for page in items for i in page["Items"]}

    def waiting(self) -> list[dict[str, Any]]:
        """Every message on the batch queue (made visible again afterwards)."""
        return _drain_peek(self.aws, self.queue_url)

    def realtime_messages(self) -> list[dict[str, Any]]:
        return _drain_peek(self.aws, self.aws.queue_url)

    def s3_json(self, key: str) -> Any:
        return json.loads(self.aws.client("s3").get_object(Bucket=BATCH_BUCKET, Key=key)["Body"].read())

    def keys(self, prefix: str) -> list[str]:
        pages = (
            self.aws.client("s3")
            .get_paginator("list_objects_v2")
            .paginate(Bucket=BATCH_BUCKET, Prefix=prefix)
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def creates(self) -> list[dict[str, Any]]:
        return [c.params for c in self.fake.calls if c.operation == "CreateModelInvocationJob"]


def _drain_peek(aws: AwsResources, queue_url: str) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    seen: dict[str, dict[str, Any]] = {}
    handles = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            break
        for m in messages:
            seen[m["MessageId"]] = m
            handles.append(m["ReceiptHandle"])
    for handle in handles:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return list(seen.values())


@pytest.fixture(name="batch")
def batch_fixture(aws_env: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchHarness]:
    """Batch mode on: a batch queue and bucket, and the fake control plane at AWS_ENDPOINT_URL_BEDROCK."""
    s3 = aws_env.client("s3")
    s3.create_bucket(Bucket=BATCH_BUCKET)
    queue_url = aws_env.client("sqs").create_queue(QueueName="jobs-batch")["QueueUrl"]
    events: list[dict[str, Any]] = []
    fake = FakeBedrockBatch(
        s3_client=s3,
        region=REGION,
        account_id=ACCOUNT,
        on_state_change=events.append,
        min_records_per_job=100,
    )
    with fake:
        set_env(
            monkeypatch,
            AWS_ENDPOINT_URL_BEDROCK=fake.endpoint_url,
            BATCH_QUEUE_URL=queue_url,
            BATCH_ROLE_ARN=ROLE_ARN,
            BATCH_BUCKET=BATCH_BUCKET,
        )
        yield BatchHarness(aws_env, fake, queue_url, events)


# ---------------------------------------------------------------------------------------------------


def test_waiting_jobs_become_one_converse_batch_job_and_are_marked_processing(batch):
    job_ids = batch.post(120, labels=None)

    summary = batch.submit()

    [create] = batch.creates()
    token = create["clientRequestToken"]
    assert create["modelInvocationType"] == "Converse" and create["roleArn"] == ROLE_ARN
    assert create["modelId"] == MODEL and create["timeoutDurationInHours"] == 24
    assert create["jobName"] == f"jobs-batch-{token[:20]}"
    assert (
        create["inputDataConfig"]["s3InputDataConfig"]["s3Uri"] == f"s3://{BATCH_BUCKET}/batch-input/{token}/"
    )
    assert create["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] == f"s3://{BATCH_BUCKET}/batch-output/"
    assert batch.keys("batch-input/") == [
        f"batch-input/{token}/records-0000.jsonl",
        f"batch-input/{token}/submission.json",
    ]
    body = batch.aws.client("s3").get_object(
        Bucket=BATCH_BUCKET, Key=f"batch-input/{token}/records-0000.jsonl"
    )
    records = [json.loads(line) for line in body["Body"].read().decode().splitlines()]
    assert sorted(r["recordId"] for r in records) == sorted(job_ids)
    first = records[0]["modelInput"]
    assert set(first) == {"system", "messages", "inferenceConfig"}  # no modelId, no requestMetadata
    assert (
        first["messages"][0]["role"] == "user" and "<document>" in first["messages"][0]["content"][0]["text"]
    )

    manifest = batch.s3_json(f"batch-input/{token}/submission.json")
    assert (manifest["token"], manifest["model_id"]) == (token, MODEL)
    assert sorted(j["job_id"] for j in manifest["jobs"]) == sorted(job_ids)
    entry = manifest["jobs"][0]
    assert json.loads(entry["body"])["job_id"] == entry["job_id"]
    assert entry["attributes"]["job_id"] == {"DataType": "String", "StringValue": entry["job_id"]}

    [arn] = summary["batch_jobs"]
    assert summary["records_submitted"] == 120 and arn.endswith(batch.fake.job_ids()[0])
    jobs = batch.jobs()
    assert {(j["status"], j["mode"], j["batch_job_arn"], j["batch_submission"]) for j in jobs.values()} == {
        ("processing", "batch", arn, token)
    }
    assert {j["attempts"] for j in jobs.values()} == {1} and all(
        "lease_expires_at" not in j for j in jobs.values()
    )
    assert batch.waiting() == [] and queue_counts(batch.aws) == (0, 0)


def test_a_run_takes_at_most_the_maximum_and_a_remainder_below_the_minimum_waits(batch, monkeypatch):
    set_env(monkeypatch, BATCH_MIN_RECORDS="50", BATCH_MAX_RECORDS="100")
    batch.fake.min_records_per_job = 50
    job_ids = batch.post(130)

    first = batch.submit()

    [create] = batch.creates()
    assert first["records_submitted"] == 100 and first["received"] == 100
    token = create["clientRequestToken"]
    assert len(batch.s3_json(f"batch-input/{token}/submission.json")["jobs"]) == 100
    jobs = batch.jobs()
    left = {j for j in job_ids if jobs[j]["status"] == "pending"}
    assert len(left) == 30 and {json.loads(m["Body"])["job_id"] for m in batch.waiting()} == left

    second = batch.submit()  # 30 < BATCH_MIN_RECORDS, and none has waited BATCH_MAX_WAIT_HOURS

    assert (second["received"], second["records_submitted"], second["fell_back"]) == (30, 0, 0)
    assert len(batch.creates()) == 1
    assert {json.loads(m["Body"])["job_id"] for m in batch.waiting()} == left
    jobs = batch.jobs()
    assert all(jobs[j]["mode"] == "batch" and "batch_submission" not in jobs[j] for j in left)


def test_fewer_than_the_minimum_wait_and_go_realtime_after_the_maximum_wait(batch, monkeypatch, fake_bedrock):
    job_ids = batch.post(5)

    summary = batch.submit()

    assert batch.creates() == [] and summary["fell_back"] == 0
    assert sorted(json.loads(m["Body"])["job_id"] for m in batch.waiting()) == sorted(job_ids)
    assert {(j["status"], j["mode"]) for j in batch.jobs().values()} == {("pending", "batch")}

    originals = {json.loads(m["Body"])["job_id"]: m for m in batch.waiting()}
    set_env(monkeypatch, BATCH_MAX_WAIT_HOURS="0")  # every message is now older than the maximum wait
    summary = batch.submit()

    assert batch.creates() == [] and summary["fell_back"] == 5
    assert batch.waiting() == []
    sent = batch.realtime_messages()
    assert len(sent) == 5
    for message in sent:
        original = originals[json.loads(message["Body"])["job_id"]]
        assert message["Body"] == original["Body"]
        assert message["MessageAttributes"] == original["MessageAttributes"]
    jobs = batch.jobs()
    assert {(j["status"], j["mode"]) for j in jobs.values()} == {("pending", "realtime")}
    assert all("BATCH_MIN_RECORDS" in j["batch_fallback_reason"] for j in jobs.values())

    batch.drain_realtime()
    assert {j["status"] for j in batch.jobs().values()} == {"complete"}
    assert fake_bedrock.successful_calls_by_job() == {j: 1 for j in job_ids}


def test_at_the_in_flight_cap_nothing_is_submitted(batch, monkeypatch):
    set_env(monkeypatch, BATCH_MAX_JOBS_IN_FLIGHT="1")
    batch.post(100)
    assert len(batch.submit()["batch_jobs"]) == 1
    later = batch.post(100, start=100)

    summary = batch.submit()

    assert summary["skipped"].startswith("batch jobs in flight at the cap") and summary["in_flight"] == 1
    assert len(batch.fake.job_ids()) == 1
    assert sorted(json.loads(m["Body"])["job_id"] for m in batch.waiting()) == sorted(later)
    jobs = batch.jobs()
    assert {jobs[j]["status"] for j in later} == {"pending"}

    batch.finish_jobs()  # the first job ends: a slot is free again
    assert len(batch.submit()["batch_jobs"]) == 1
    jobs = batch.jobs()
    assert len(batch.fake.job_ids()) == 2 and {jobs[j]["status"] for j in later} == {"processing"}


def test_messages_sent_without_the_producer_get_a_record(batch):
    for n in range(100):
        send(
            batch.aws,
            {
                "job_id": f"nightly-{n:03d}",
                "task": "summarize",
                "document": document(n),
                "metadata": {"n": n},
            },
            queue_url=batch.queue_url,
        )

    summary = batch.submit()

    [arn] = summary["batch_jobs"]
    job = batch.jobs()["nightly-007"]
    assert (job["status"], job["mode"], job["batch_job_arn"], job["task"]) == (
        "processing",
        "batch",
        arn,
        "summarize",
    )
    assert (job["model_id"], job["metadata"], job["attempts"]) == (MODEL, {"n": 7}, 1) and job["created_at"]
    assert len(batch.jobs()) == 100


def test_invalid_messages_go_unchanged_to_the_realtime_queue_where_the_consumer_fails_them(batch):
    bodies = ["this is not JSON", json.dumps({"job_id": "bad-task", "task": "nope", "document": "x"})]
    for body in bodies:
        send(batch.aws, body, queue_url=batch.queue_url, attributes={"origin": "test"})
    done = batch.post(1)[0]
    batch.aws.client("dynamodb").update_item(
        TableName=batch.aws.table,
        Key={"job_id": {"S": done}},
        UpdateExpression="SET #s = :c",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":c": {"S": "complete"}},
    )

    summary = batch.submit()

    assert (summary["forwarded_invalid"], summary["already_handled"]) == (2, 1)
    sent = batch.realtime_messages()
    assert sorted(m["Body"] for m in sent) == sorted(bodies)
    assert all(m["MessageAttributes"]["origin"]["StringValue"] == "test" for m in sent)
    assert batch.waiting() == [] and batch.creates() == []

    batch.drain_realtime()
    assert batch.jobs()["bad-task"]["status"] == "failed"
    assert len(batch.aws.archived()) == 2


@pytest.mark.parametrize(
    ("service", "action", "where", "creates"),
    [
        # Marking the jobs processing fails: the next run creates again with the same token.
        ("dynamodb", "UpdateItem", {"match": "model-invocation-job/"}, 2),
        # Deleting the submitted messages fails: the next run finds their jobs in the batch job.
        ("sqs", "DeleteMessageBatch", {}, 1),
    ],
)
def test_a_run_that_fails_after_creating_the_job_is_resumed_without_a_second_job(
    batch, aws_faults: FaultControl, service, action, where, creates
):
    job_ids = batch.post(100)
    aws_faults.add(service, action, "InternalError", 500, times=None, **where)

    with pytest.raises(ClientError):
        batch.submit()

    assert len(batch.fake.job_ids()) == 1
    aws_faults.clear()
    summary = batch.submit()

    [arn] = {c.job_arn for c in batch.fake.calls if c.operation == "CreateModelInvocationJob"}
    assert len(batch.fake.job_ids()) == 1 and len(batch.creates()) == creates
    assert summary["batch_jobs"] == ([arn] if creates == 2 else [])
    assert {(j["status"], j["batch_job_arn"], j["attempts"]) for j in batch.jobs().values()} == {
        ("processing", arn, 1)
    }
    assert sorted(batch.jobs()) == sorted(job_ids) and batch.waiting() == []


def test_a_run_that_fails_before_its_manifest_is_written_starts_afresh(batch, aws_faults: FaultControl):
    batch.post(100)
    aws_faults.add("s3", "PutObject", "InternalError", 500, times=None, path="submission.json")

    with pytest.raises(ClientError):
        batch.submit()

    assert batch.fake.job_ids() == [] and {j["status"] for j in batch.jobs().values()} == {"pending"}
    [abandoned] = {j["batch_submission"] for j in batch.jobs().values()}
    aws_faults.clear()
    summary = batch.submit()

    [create] = batch.creates()
    assert create["clientRequestToken"] != abandoned and summary["records_submitted"] == 100
    assert {j["batch_submission"] for j in batch.jobs().values()} == {create["clientRequestToken"]}
    assert {j["status"] for j in batch.jobs().values()} == {"processing"} and batch.waiting() == []


def test_jobs_of_a_guarded_task_run_realtime_because_batch_inference_applies_no_guardrail(
    batch, monkeypatch, fake_bedrock
):
    # The deployment's guardrail covers summarize; classify has it turned off.
    tasks = {"classify": {"guardrail_id": "none"}}
    set_env(monkeypatch, GUARDRAIL_ID="abc123guard", GUARDRAIL_VERSION="3", TASKS_CONFIG=json.dumps(tasks))
    guarded = batch.post(3, extra="GUARDRAIL-BLOCK")
    free = batch.post(100, start=3, task="classify", labels=["finance", "sport"])

    summary = batch.submit()

    [create] = batch.creates()  # only the unguarded jobs reach a batch job
    assert summary["records_submitted"] == 100 and summary["realtime_only"] == 3
    jobs = batch.jobs()
    assert {jobs[j]["status"] for j in free} == {"processing"}
    for job_id in guarded:
        assert (jobs[job_id]["status"], jobs[job_id]["mode"]) == ("pending", "realtime")
        assert "no guardrail" in jobs[job_id]["batch_fallback_reason"]
    assert sorted(json.loads(m["Body"])["job_id"] for m in batch.realtime_messages()) == sorted(guarded)

    batch.drain_realtime()  # the consumer applies the guardrail, which blocks these documents
    jobs = batch.jobs()
    assert {jobs[j]["status"] for j in guarded} == {"failed"}
    assert all("guardrail abc123guard:3 intervened" in jobs[j]["error"] for j in guarded)
    assert create["modelInvocationType"] == "Converse"
