"""Shared fixtures: one moto server per session (reset per test), the fake Bedrock, and the resources
the Terraform module creates, with the Lambda environment variables pointing at them."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from bedrock_jobs_local.aws_faults import FaultControl, FaultInjectingMotoServer
from bedrock_jobs_local.embedded_aws import jobs_table_definition
from bedrock_jobs_local.fake_bedrock import FakeBedrock
from bedrock_jobs_local.moto_atomic import make_dynamodb_writes_atomic

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account id, not a real one

# Tests never reach AWS: fake credentials so no real profile is ever picked up.
for _name, _value in (
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", REGION),
):
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
logging.getLogger("werkzeug").setLevel(logging.WARNING)
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "bedrock-jobs-tests")
# The module deploys at INFO; testing at the same level catches logging mistakes (reserved keys).
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    make_dynamodb_writes_atomic()  # concurrent-duplicate tests rely on DynamoDB's atomic conditions
    # moto behind the fault injector: tests fail chosen AWS requests with the ``aws_faults`` fixture.
    server = FaultInjectingMotoServer(ip_address="127.0.0.1", port=0).start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class AwsResources:
    endpoint: str
    table: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    payload_bucket: str
    archive_bucket: str
    alerts_topic_arn: str
    results_topic_arn: str
    alerts_inbox_url: str
    results_inbox_url: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)

    def job(self, job_id: str) -> dict[str, Any] | None:
        from bedrock_jobs.job_store import JobStore

        return JobStore(self.table, dynamodb=self.client("dynamodb")).get(job_id)

    def published(self, inbox_url: str) -> list[dict[str, Any]]:
        """SNS notifications delivered to a test queue subscribed to a topic (raw JSON messages)."""
        sqs = self.client("sqs")
        out = []
        while True:
            messages = sqs.receive_message(QueueUrl=inbox_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return out
            for m in messages:
                envelope = json.loads(m["Body"])
                out.append(json.loads(envelope["Message"]))
                sqs.delete_message(QueueUrl=inbox_url, ReceiptHandle=m["ReceiptHandle"])

    def archived(self) -> list[dict[str, Any]]:
        s3 = self.client("s3")
        objects = s3.list_objects_v2(Bucket=self.archive_bucket, Prefix="failed/").get("Contents", [])
        return [
            json.loads(s3.get_object(Bucket=self.archive_bucket, Key=o["Key"])["Body"].read())
            | {"_key": o["Key"]}
            for o in objects
        ]


def create_resources(
    endpoint: str, *, fifo: bool = False, max_receive_count: int = 3, visibility_timeout: int = 305
) -> AwsResources:
    session = boto3.session.Session(region_name=REGION)
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    s3 = session.client("s3", endpoint_url=endpoint)
    sns = session.client("sns", endpoint_url=endpoint)
    ddb.create_table(**jobs_table_definition("jobs"))
    suffix = ".fifo" if fifo else ""
    fifo_attrs = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"jobs-dlq{suffix}", Attributes=fifo_attrs)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=f"jobs{suffix}",
        Attributes={
            **fifo_attrs,
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
            ),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for bucket in ("payloads", "archive"):
        s3.create_bucket(Bucket=bucket)
    topics, inboxes = {}, {}
    for name in ("alerts", "results"):
        topics[name] = sns.create_topic(Name=name)["TopicArn"]
        inboxes[name] = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inboxes[name], AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topics[name], Protocol="sqs", Endpoint=inbox_arn)
    return AwsResources(
        endpoint,
        "jobs",
        queue_url,
        queue_arn,
        dlq_url,
        dlq_arn,
        "payloads",
        "archive",
        topics["alerts"],
        topics["results"],
        inboxes["alerts"],
        inboxes["results"],
    )


def lambda_environment(aws: AwsResources, model_endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": aws.endpoint,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": model_endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "JOBS_TABLE": aws.table,
        "QUEUE_URL": aws.queue_url,
        "PAYLOAD_BUCKET": aws.payload_bucket,
        "ARCHIVE_BUCKET": aws.archive_bucket,
        "ALERTS_TOPIC_ARN": aws.alerts_topic_arn,
        "RESULTS_TOPIC_ARN": aws.results_topic_arn,
        "MODEL_ID": "anthropic.claude-3-haiku-20240307-v1:0",
        # Models jobs may name besides MODEL_ID (SPEC ALLOWED_MODEL_IDS); the suites use these.
        "ALLOWED_MODEL_IDS": "amazon.nova-lite-v1:0,amazon.nova-micro-v1:0,my-profile",
        # Short timeouts keep fault tests fast; the arithmetic is the same as in production.
        "BEDROCK_CONNECT_TIMEOUT_SECONDS": "1",
        "BEDROCK_READ_TIMEOUT_SECONDS": "1",
        "BEDROCK_MAX_ATTEMPTS": "2",
    }


@pytest.fixture
def fake_bedrock() -> Iterator[FakeBedrock]:
    with FakeBedrock(timeout_seconds=1.5) as fake:
        yield fake


def _reset_moto(endpoint: str) -> None:
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()


@pytest.fixture
def aws_env(
    moto_endpoint: str,
    fake_bedrock: FakeBedrock,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[AwsResources]:
    """Fresh AWS resources and a Lambda-like environment for the handlers.

    Parametrize indirectly with ``{"fifo": True}`` for a FIFO main queue and DLQ."""
    import bedrock_jobs

    _reset_moto(moto_endpoint)
    fifo = bool(getattr(request, "param", {}).get("fifo", False))
    aws = create_resources(moto_endpoint, fifo=fifo)
    for name, value in lambda_environment(aws, fake_bedrock.endpoint_url).items():
        monkeypatch.setenv(name, value)
    bedrock_jobs.reset_caches()
    yield aws
    bedrock_jobs.reset_caches()


@pytest.fixture
def aws_faults(aws_env: AwsResources) -> Iterator[FaultControl]:
    """Inject AWS errors inside the embedded AWS (see ``bedrock_jobs_local.aws_faults``); cleared after."""
    faults = FaultControl(aws_env.endpoint)
    faults.clear(seed=0)
    yield faults
    faults.clear()
