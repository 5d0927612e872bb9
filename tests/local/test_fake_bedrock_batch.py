"""The fake Bedrock batch control plane, driven through a real boto3 ``bedrock`` client and moto S3."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from bedrock_jobs_local.embedded_aws import EmbeddedAws
from bedrock_jobs_local.fake_bedrock import summarize
from bedrock_jobs_local.fake_bedrock_batch import BatchJobFaults, FakeBedrockBatch
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "123456789012"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bedrock-batch"
ARN = re.compile(rf"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/([a-z0-9]{{12}})")


def document(n: int) -> str:
    return f"Document {n} opens here. It has a second sentence. And a third one for good measure."


def record(record_id: str, text: str) -> dict[str, Any]:
    return {
        "recordId": record_id,
        "modelInput": {
            "system": [{"text": "You summarise documents."}],
            "messages": [{"role": "user", "content": [{"text": f"Summarise.\n<document>{text}</document>"}]}],
            "inferenceConfig": {"maxTokens": 256},
        },
    }


class Env:
    def __init__(self, s3: Any, bucket: str, fake: FakeBedrockBatch, bedrock: Any) -> None:
        self.s3, self.bucket, self.fake, self.bedrock = s3, bucket, fake, bedrock

    def put_input(self, key: str, records: list[dict[str, Any]]) -> None:
        body = "".join(json.dumps(r) + "\n" for r in records)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode())

    def create(self, name: str = "job1", input_key: str = "in/run1/", **extra: Any) -> str:
        params: dict[str, Any] = {
            "jobName": name,
            "roleArn": ROLE,
            "modelId": MODEL,
            "modelInvocationType": "Converse",
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://{self.bucket}/{input_key}"}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{self.bucket}/out/"}},
        }
        return str(self.bedrock.create_model_invocation_job(**(params | extra))["jobArn"])

    def outputs(self, job_arn: str) -> dict[str, bytes]:
        """Every object in the job's output folder, by name."""
        job_id = job_arn.rsplit("/", 1)[-1]
        prefix = f"out/{job_id}/"
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        return {
            o["Key"].removeprefix(prefix): self.s3.get_object(Bucket=self.bucket, Key=o["Key"])["Body"].read()
            for o in listing
        }

    def lines(self, job_arn: str) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for name, body in self.outputs(job_arn).items()
            if name.endswith(".jsonl.out")
            for line in body.decode().splitlines()
        ]

    def manifest(self, job_arn: str) -> dict[str, Any]:
        return json.loads(self.outputs(job_arn)["manifest.json.out"])

    def statuses(self, job_arn: str) -> list[str]:
        return [e["detail"]["status"] for e in self.fake.events if e["detail"]["batchJobArn"] == job_arn]


@pytest.fixture
def s3(aws: EmbeddedAws) -> Any:
    return aws.client("s3")


def bedrock_client(endpoint_url: str, **config: Any) -> Any:
    return boto3.client(
        "bedrock",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


@pytest.fixture
def make_env(s3: Any) -> Iterator[Callable[..., Env]]:
    """A fresh bucket and a running fake built with the given options; stopped after the test."""
    made: list[tuple[Env, list[dict[str, Any]]]] = []
    with ExitStack() as stack:

        def make(**fake_options: Any) -> Env:
            bucket = f"batch-{uuid.uuid4().hex[:12]}"
            s3.create_bucket(Bucket=bucket)
            delivered: list[dict[str, Any]] = []
            fake = FakeBedrockBatch(
                s3_client=s3,
                region=REGION,
                account_id=ACCOUNT,
                on_state_change=delivered.append,
                **fake_options,
            )
            stack.enter_context(fake)
            env = Env(s3, bucket, fake, bedrock_client(fake.endpoint_url))
            made.append((env, delivered))
            return env

        yield make
    # Every event the fake recorded was handed to the callback, once and in the same order.
    for env, delivered in made:
        assert delivered == env.fake.events


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    return make_env()


@pytest.fixture
def stepped_env(make_env: Callable[..., Env]) -> Env:
    """Two records per step, so a job can be stopped or inspected part way."""
    return make_env(records_per_step=2)


def test_a_job_writes_one_out_file_per_input_file_and_a_manifest(env: Env) -> None:
    first = [record(f"a{i}", document(i)) for i in range(12)]
    second = [record(f"b{i}", document(100 + i)) for i in range(3)]
    env.put_input("in/run1/first.jsonl", first)
    env.put_input("in/run1/second.jsonl", second)
    env.put_input("in/run1/notes.txt", [record("ignored", "not a jsonl file")])

    arn = env.create()
    job_id = ARN.fullmatch(arn).group(1)  # type: ignore[union-attr]
    assert env.fake.status(arn) == "Submitted"
    assert env.outputs(arn) == {}

    final = env.fake.run_until_done(arn)

    assert final["status"] == "Completed"
    outputs = env.outputs(arn)
    assert set(outputs) == {"first.jsonl.out", "second.jsonl.out", "manifest.json.out"}
    first_lines = [json.loads(line) for line in outputs["first.jsonl.out"].decode().splitlines()]
    by_id = {line["recordId"]: line for line in first_lines}
    assert set(by_id) == {r["recordId"] for r in first}
    for rec in first:
        line = by_id[rec["recordId"]]
        assert line["modelInput"] == rec["modelInput"]
        assert "error" not in line
        assert line["modelOutput"]["output"]["message"]["content"][0]["text"] == summarize(
            document(int(rec["recordId"][1:]))
        )
        assert line["modelOutput"]["stopReason"] == "end_turn"
    # Bedrock does not keep input order, and neither does the fake.
    assert [line["recordId"] for line in first_lines] != [r["recordId"] for r in first]
    second_ids = sorted(json.loads(x)["recordId"] for x in outputs["second.jsonl.out"].decode().splitlines())
    assert second_ids == ["b0", "b1", "b2"]

    all_lines = env.lines(arn)
    manifest = env.manifest(arn)
    assert manifest == {
        "totalRecordCount": 15,
        "processedRecordCount": 15,
        "successRecordCount": 15,
        "errorRecordCount": 0,
        "inputTokenCount": sum(x["modelOutput"]["usage"]["inputTokens"] for x in all_lines),
        "outputTokenCount": sum(x["modelOutput"]["usage"]["outputTokens"] for x in all_lines),
    }
    assert manifest["inputTokenCount"] > 0 and manifest["outputTokenCount"] > 0

    got = env.bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert got["jobArn"] == arn and got["jobArn"].endswith(f"/{job_id}")
    assert got["status"] == "Completed"
    assert got["modelId"] == MODEL and got["roleArn"] == ROLE and got["jobName"] == "job1"
    assert got["modelInvocationType"] == "Converse"
    assert got["timeoutDurationInHours"] == 24
    assert got["inputDataConfig"]["s3InputDataConfig"]["s3Uri"] == f"s3://{env.bucket}/in/run1/"
    assert got["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] == f"s3://{env.bucket}/out/"
    assert got["submitTime"] <= got["lastModifiedTime"] == got["endTime"]
    assert got["jobExpirationTime"] - got["submitTime"] == timedelta(hours=24)
    assert (got["totalRecordCount"], got["processedRecordCount"], got["successRecordCount"]) == (15, 15, 15)
    assert got["errorRecordCount"] == 0
    assert "clientRequestToken" in got  # botocore fills one in when the caller gives none
    assert env.fake.answered_by_record() == {r["recordId"]: 1 for r in first + second}


def test_a_single_object_input_uri_reads_only_that_file(env: Env) -> None:
    env.put_input("in/run1/one.jsonl", [record("r1", document(1))])
    env.put_input("in/run1/two.jsonl", [record("r2", document(2))])

    arn = env.create(input_key="in/run1/one.jsonl")
    env.fake.run_until_done(arn)

    assert set(env.outputs(arn)) == {"one.jsonl.out", "manifest.json.out"}
    assert [x["recordId"] for x in env.lines(arn)] == ["r1"]


def test_get_by_arn_and_by_id_return_the_same_job(env: Env) -> None:
    env.put_input("in/run1/a.jsonl", [record("r1", document(1))])
    arn = env.create()
    job_id = arn.rsplit("/", 1)[-1]

    by_arn = env.bedrock.get_model_invocation_job(jobIdentifier=arn)
    by_id = env.bedrock.get_model_invocation_job(jobIdentifier=job_id)

    by_arn.pop("ResponseMetadata")
    by_id.pop("ResponseMetadata")
    assert by_arn == by_id
    assert by_id["jobArn"] == arn and by_id["status"] == "Submitted"
    with pytest.raises(ClientError) as missing:
        env.bedrock.get_model_invocation_job(jobIdentifier="zzzzzzzzzzzz")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as malformed:
        env.bedrock.get_model_invocation_job(jobIdentifier="Not-An-Id")
    assert malformed.value.response["Error"]["Code"] == "ValidationException"


def test_the_same_client_request_token_returns_the_same_job_and_starts_nothing(env: Env) -> None:
    env.put_input("in/run1/a.jsonl", [record("r1", document(1))])

    first = env.create(clientRequestToken="retry-token-1")
    again = env.create(clientRequestToken="retry-token-1")

    assert again == first
    jobs = env.bedrock.list_model_invocation_jobs()["invocationJobSummaries"]
    assert [j["jobArn"] for j in jobs] == [first]
    assert jobs[0]["clientRequestToken"] == "retry-token-1"
    assert env.statuses(first) == ["Submitted"]
    assert [(c.operation, c.job_arn) for c in env.fake.calls] == [
        ("CreateModelInvocationJob", first),
        ("CreateModelInvocationJob", first),
        ("ListModelInvocationJobs", None),
    ]
    # A new token with a name already taken is a new request, and the name is refused.
    with pytest.raises(ClientError) as taken:
        env.create(clientRequestToken="retry-token-2")
    assert taken.value.response["Error"]["Code"] == "ValidationException"
    env.fake.run_until_done(first)
    assert env.fake.answered_by_record() == {"r1": 1}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"jobName": "has spaces!"}, "jobName"),
        ({"jobName": "x" * 64}, "jobName"),
        ({"roleArn": "arn:aws:iam::123456789012:user/someone"}, "roleArn"),
        ({"modelId": "not a model id!"}, "modelId"),
        ({"inputDataConfig": {"s3InputDataConfig": {"s3Uri": "https://bucket/in/"}}}, "s3InputDataConfig"),
        (
            {"outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://Bad_Bucket/out/"}}},
            "s3OutputDataConfig",
        ),
        ({"timeoutDurationInHours": 169}, "timeoutDurationInHours"),
        ({"modelInvocationType": "Chat"}, "modelInvocationType"),
        ({"clientRequestToken": "no spaces allowed"}, "clientRequestToken"),
    ],
)
def test_invalid_create_requests_are_validation_exceptions(
    env: Env, override: dict[str, Any], field: str
) -> None:
    with pytest.raises(ClientError) as error:
        env.create(**override)

    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert field in error.value.response["Error"]["Message"]
    assert env.bedrock.list_model_invocation_jobs()["invocationJobSummaries"] == []
    assert env.fake.events == []


def test_a_timeout_below_24_hours_is_refused_by_the_server_too(env: Env) -> None:
    # botocore refuses it client-side; a client that skips that check still gets Bedrock's answer.
    raw = bedrock_client(env.fake.endpoint_url, parameter_validation=False)
    with pytest.raises(ClientError) as error:
        raw.create_model_invocation_job(
            jobName="short",
            roleArn=ROLE,
            modelId=MODEL,
            inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{env.bucket}/in/"}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{env.bucket}/out/"}},
            timeoutDurationInHours=23,
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "between 24 and 168" in error.value.response["Error"]["Message"]


def test_list_filters_by_status_and_name_and_pages(stepped_env: Env) -> None:
    env = stepped_env
    env.put_input("in/run1/a.jsonl", [record("r1", document(1))])
    done = env.create("nightly-done")
    stopped = env.create("nightly-stopped")
    waiting = env.create("adhoc-waiting")
    env.fake.run_until_done(done)
    env.bedrock.stop_model_invocation_job(jobIdentifier=stopped)
    env.fake.advance(stopped)

    def arns(**filters: Any) -> list[str]:
        return [
            j["jobArn"] for j in env.bedrock.list_model_invocation_jobs(**filters)["invocationJobSummaries"]
        ]

    assert arns(statusEquals="Completed") == [done]
    assert arns(statusEquals="Stopped") == [stopped]
    assert arns(statusEquals="Submitted") == [waiting]
    assert arns(statusEquals="InProgress") == []
    assert arns(nameContains="nightly", sortOrder="Ascending") == [done, stopped]
    assert arns() == [waiting, stopped, done]  # newest first by default

    pages: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = env.bedrock.list_model_invocation_jobs(maxResults=2, sortOrder="Ascending", **token)
        pages.append(",".join(j["jobName"] for j in page["invocationJobSummaries"]))
        if "nextToken" not in page:
            break
        token = {"nextToken": page["nextToken"]}
    assert pages == ["nightly-done,nightly-stopped", "adhoc-waiting"]
    summary = env.bedrock.list_model_invocation_jobs(statusEquals="Completed")["invocationJobSummaries"][0]
    assert summary["processedRecordCount"] == 1 and "endTime" in summary


def test_record_errors_by_marker_and_by_rate(make_env: Callable[..., Env]) -> None:
    env = make_env(faults=BatchJobFaults(record_error_rate=0.3, error_marker="BAD-DOC"), seed=11)
    records = [record(f"r{i}", document(i)) for i in range(30)]
    records[4] = record("poisoned", "This one is a BAD-DOC. It always fails.")
    env.put_input("in/run1/a.jsonl", records)

    arn = env.create()
    final = env.fake.run_until_done(arn)

    lines = {line["recordId"]: line for line in env.lines(arn)}
    assert set(lines) == {r["recordId"] for r in records}
    failed = {rid for rid, line in lines.items() if "error" in line}
    assert "poisoned" in failed
    assert lines["poisoned"]["error"]["errorCode"] == 400
    assert "modelOutput" not in lines["poisoned"]
    assert lines["poisoned"]["modelInput"] == records[4]["modelInput"]
    assert 1 < len(failed) < 30  # the rate failed some others, not all
    for rid in failed:
        assert set(lines[rid]["error"]) == {"errorCode", "errorMessage"}
    manifest = env.manifest(arn)
    assert manifest["errorRecordCount"] == len(failed)
    assert manifest["successRecordCount"] == 30 - len(failed)
    assert manifest["processedRecordCount"] == manifest["totalRecordCount"] == 30
    # Record errors alone do not make a job partial: every record was processed.
    assert final["status"] == "Completed"
    assert final["errorRecordCount"] == len(failed)
    assert set(env.fake.answered_by_record()) == set(lines) - failed


def test_a_converse_record_with_tools_is_an_error_line(env: Env) -> None:
    tooled = record("tools", document(1))
    tooled["modelInput"]["toolConfig"] = {"tools": []}
    env.put_input("in/run1/a.jsonl", [tooled, record("plain", document(2))])

    arn = env.create()
    env.fake.run_until_done(arn)

    lines = {line["recordId"]: line for line in env.lines(arn)}
    assert lines["tools"]["error"]["errorCode"] == 400
    assert "modelOutput" in lines["plain"]


def test_an_answer_function_that_raises_gives_an_error_line(make_env: Callable[..., Env]) -> None:
    def answer(model_input: dict[str, Any]) -> dict[str, Any]:
        if "refuse" in json.dumps(model_input):
            raise RuntimeError("model crashed")
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": "fixed"}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 7, "outputTokens": 3},
        }

    env = make_env(answer=answer)
    env.put_input("in/run1/a.jsonl", [record("ok", "fine"), record("bad", "please refuse")])
    arn = env.create()
    env.fake.run_until_done(arn)

    lines = {line["recordId"]: line for line in env.lines(arn)}
    assert lines["ok"]["modelOutput"]["output"]["message"]["content"][0]["text"] == "fixed"
    assert lines["bad"]["error"] == {"errorCode": 500, "errorMessage": "RuntimeError: model crashed"}
    assert env.manifest(arn) == {
        "totalRecordCount": 2,
        "processedRecordCount": 2,
        "successRecordCount": 1,
        "errorRecordCount": 1,
        "inputTokenCount": 7,
        "outputTokenCount": 3,
    }


def test_partial_completion_leaves_records_out_of_the_output(env: Env) -> None:
    records = [record(f"r{i}", document(i)) for i in range(10)]
    env.put_input("in/run1/a.jsonl", records)
    env.fake.push_job_faults(BatchJobFaults(unprocessed_fraction=0.4))

    arn = env.create()
    final = env.fake.run_until_done(arn)

    assert final["status"] == "PartiallyCompleted"
    present = {line["recordId"] for line in env.lines(arn)}
    assert len(present) == 6 and present < {r["recordId"] for r in records}
    assert all("modelOutput" in line for line in env.lines(arn))
    manifest = env.manifest(arn)
    assert (manifest["totalRecordCount"], manifest["processedRecordCount"]) == (10, 6)
    assert (manifest["successRecordCount"], manifest["errorRecordCount"]) == (6, 0)
    assert (final["totalRecordCount"], final["processedRecordCount"]) == (10, 6)
    assert env.statuses(arn)[-1] == "PartiallyCompleted"

    # Queued faults are for one job: the next one completes.
    second = env.create("job2")
    assert env.fake.run_until_done(second)["status"] == "Completed"


def test_expiry_keeps_only_the_records_processed_before_it(env: Env) -> None:
    env.put_input("in/run1/a.jsonl", [record(f"r{i}", document(i)) for i in range(8)])
    late, never = env.create("late"), env.create("never")
    env.fake.set_job_faults(late, BatchJobFaults(expire_after_records=3))
    env.fake.set_job_faults(never, BatchJobFaults(expire_after_records=0))

    assert env.fake.run_until_done(late)["status"] == "Expired"
    assert env.fake.run_until_done(never)["status"] == "Expired"

    assert len(env.lines(late)) == 3
    assert env.manifest(late)["processedRecordCount"] == 3
    assert env.manifest(late)["totalRecordCount"] == 8
    assert env.statuses(late) == ["Submitted", "Validating", "Scheduled", "InProgress", "Expired"]
    # Expired while still scheduled: it never started, so it left nothing behind.
    assert env.outputs(never) == {}
    assert env.statuses(never) == ["Submitted", "Validating", "Scheduled", "Expired"]


def test_a_job_still_running_at_its_timeout_expires(make_env: Callable[..., Env]) -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    env = make_env(clock=lambda: now[0], records_per_step=1)
    env.put_input("in/run1/a.jsonl", [record(f"r{i}", document(i)) for i in range(5)])
    arn = env.create(timeoutDurationInHours=48)
    for _ in range(5):  # Submitted → Validating → Scheduled → InProgress, then two records
        env.fake.advance()

    now[0] += timedelta(hours=48)
    env.fake.advance()

    got = env.bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert got["status"] == "Expired"
    assert got["jobExpirationTime"] == datetime(2026, 1, 3, tzinfo=UTC)
    assert got["endTime"] == datetime(2026, 1, 3, tzinfo=UTC)
    assert sorted(x["recordId"] for x in env.lines(arn)) == ["r0", "r1"]
    assert env.manifest(arn)["processedRecordCount"] == 2


def test_failure_before_processing_leaves_no_output_and_after_some_a_partial_one(env: Env) -> None:
    env.put_input("in/run1/a.jsonl", [record(f"r{i}", document(i)) for i in range(6)])
    early, late = env.create("early"), env.create("late")
    env.fake.set_job_faults(early, BatchJobFaults(fail_after_records=0, fail_message="Service error."))
    env.fake.set_job_faults(late, BatchJobFaults(fail_after_records=2))

    early_final = env.fake.run_until_done(early)
    late_final = env.fake.run_until_done(late)

    assert (early_final["status"], early_final["message"]) == ("Failed", "Service error.")
    assert env.outputs(early) == {}
    assert late_final["status"] == "Failed"
    assert len(env.lines(late)) == 2
    assert env.manifest(late)["processedRecordCount"] == 2
    failed_event = env.fake.events[-1]
    assert failed_event["detail"]["status"] == "Failed"
    assert failed_event["detail"]["failureMessage"] == late_final["message"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "No .jsonl input files"),
        (b'{"recordId": "r1", "modelInput": {}}\nnot json\n', "not valid JSON"),
    ],
)
def test_unusable_input_fails_the_job_in_validation(env: Env, body: bytes | None, reason: str) -> None:
    if body is not None:
        env.s3.put_object(Bucket=env.bucket, Key="in/run1/a.jsonl", Body=body)

    arn = env.create()
    final = env.fake.run_until_done(arn)

    assert final["status"] == "Failed"
    assert reason in final["message"]
    assert env.statuses(arn) == ["Submitted", "Validating", "Failed"]
    assert env.outputs(arn) == {}


def test_stop_keeps_what_was_processed_so_far(stepped_env: Env) -> None:
    env = stepped_env
    env.put_input("in/run1/a.jsonl", [record(f"r{i}", document(i)) for i in range(7)])
    arn = env.create()
    for _ in range(4):  # to InProgress, then one step of two records
        env.fake.advance(arn)
    got = env.bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert (got["status"], got["processedRecordCount"]) == ("InProgress", 2)
    assert len(env.lines(arn)) == 2  # results appear while the job runs, as in Bedrock
    assert "manifest.json.out" not in env.outputs(arn)

    env.bedrock.stop_model_invocation_job(jobIdentifier=arn)
    assert env.bedrock.get_model_invocation_job(jobIdentifier=arn)["status"] == "Stopping"
    final = env.fake.run_until_done(arn)

    assert final["status"] == "Stopped"
    assert len(env.lines(arn)) == 2
    assert env.manifest(arn)["processedRecordCount"] == 2
    assert env.statuses(arn) == ["Submitted", "Validating", "Scheduled", "InProgress", "Stopping", "Stopped"]
    assert sum(env.fake.answered_by_record().values()) == 2
    with pytest.raises(ClientError) as again:
        env.bedrock.stop_model_invocation_job(jobIdentifier=arn)
    assert again.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as missing:
        env.bedrock.stop_model_invocation_job(jobIdentifier="aaaaaaaaaaaa")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_state_change_events_follow_the_eventbridge_shape_in_order(env: Env) -> None:
    env.put_input("in/run1/a.jsonl", [record("r1", document(1))])
    arn = env.create("evented")
    env.fake.run_until_done(arn)

    assert env.statuses(arn) == ["Submitted", "Validating", "Scheduled", "InProgress", "Completed"]
    last = env.fake.events[-1]
    assert {k: last[k] for k in ("version", "source", "detail-type", "account", "region", "resources")} == {
        "version": "0",
        "source": "aws.bedrock",
        "detail-type": "Batch Inference Job State Change",
        "account": ACCOUNT,
        "region": REGION,
        "resources": [arn],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", last["time"])
    detail = last["detail"]
    assert {k: detail[k] for k in ("batchJobArn", "batchJobName", "status", "batchModelId", "accountId")} == {
        "batchJobArn": arn,
        "batchJobName": "evented",
        "status": "Completed",
        "batchModelId": MODEL,
        "accountId": ACCOUNT,
    }
    assert detail["failureMessage"] == ""
    assert len({e["id"] for e in env.fake.events}) == len(env.fake.events)


def test_a_callback_can_read_the_job_back_through_the_api(s3: Any) -> None:
    seen: list[tuple[str, str]] = []
    holder: dict[str, Any] = {}

    def collector(event: dict[str, Any]) -> None:
        # What the batch collector does: look the job up when told it changed.
        got = holder["bedrock"].get_model_invocation_job(jobIdentifier=event["detail"]["batchJobArn"])
        seen.append((event["detail"]["status"], got["status"]))

    bucket = f"batch-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    with FakeBedrockBatch(s3_client=s3, region=REGION, account_id=ACCOUNT, on_state_change=collector) as fake:
        holder["bedrock"] = bedrock_client(fake.endpoint_url)
        env = Env(s3, bucket, fake, holder["bedrock"])
        env.put_input("in/run1/a.jsonl", [record("r1", document(1))])
        arn = env.create()
        fake.run_until_done(arn)

    assert seen[-1] == ("Completed", "Completed")
    assert [s for s, _ in seen] == ["Submitted", "Validating", "Scheduled", "InProgress", "Completed"]


def test_auto_mode_finishes_jobs_without_being_driven(make_env: Callable[..., Env]) -> None:
    env = make_env(auto=True, auto_interval_seconds=0.01)
    env.put_input("in/run1/a.jsonl", [record("r1", document(1)), record("r2", document(2))])
    arn = env.create()

    status = ""
    for _ in range(1000):
        status = env.bedrock.get_model_invocation_job(jobIdentifier=arn)["status"]
        if status == "Completed":
            break
        time.sleep(0.01)

    assert status == "Completed"
    assert sorted(x["recordId"] for x in env.lines(arn)) == ["r1", "r2"]
    assert env.fake.answered_by_record() == {"r1": 1, "r2": 1}


def test_a_job_below_the_minimum_record_count_fails(make_env: Callable[..., Env]) -> None:
    env = make_env(min_records_per_job=100)
    env.put_input("in/run1/a.jsonl", [record(f"r{i}", document(i)) for i in range(99)])

    final = env.fake.run_until_done(env.create())

    assert final["status"] == "Failed"
    assert "99 records" in final["message"]
