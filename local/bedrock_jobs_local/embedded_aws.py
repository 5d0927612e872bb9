"""Embedded AWS: a moto server on 127.0.0.1 holding the resources the Terraform module creates.

The handlers reach it the standard way (``AWS_ENDPOINT_URL``), so their boto3 code runs unchanged.
Resources mirror the module's defaults: the main queue with its redrive policy (``maxReceiveCount``)
and visibility timeout, the DLQ with its retention and redrive-allow policy, the jobs table keyed on
``job_id``, the payload and archive buckets, and the alerts and results topics. Each topic also gets an
SQS "inbox" subscription, standing in for the on-call pager and the downstream consumers, so the run
can prove that every archived failure paged someone.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from typing import Any

import boto3
from botocore.config import Config

from .lambda_context import ACCOUNT_ID

#: batch.tf: max_receive_count of the batch queue.
BATCH_MAX_RECEIVE_COUNT = 1000

FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class QueueSettings:
    """What the module puts on the two queues (after any local time scaling)."""

    visibility_timeout: int
    message_retention: int
    max_receive_count: int
    dlq_visibility_timeout: int
    dlq_message_retention: int
    fifo: bool = False


@dataclass(frozen=True)
class Resources:
    region: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    jobs_table: str
    payload_bucket: str
    archive_bucket: str
    alerts_topic_arn: str
    results_topic_arn: str
    alerts_inbox_url: str
    results_inbox_url: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class EmbeddedAws:
    """A moto server in a thread (default) or a child process, plus clients pointed at it.

    The child process keeps moto's request handling off this process's GIL, which roughly doubles
    throughput for large runs on a multi-core machine; the thread needs no extra process.
    """

    def __init__(self, region: str = "us-east-1", mode: str = "thread") -> None:
        if mode not in ("thread", "process"):
            raise ValueError("mode must be 'thread' or 'process'")
        self.region = region
        self.mode = mode
        self.endpoint_url = ""
        self._server: Any = None
        self._process: subprocess.Popen[bytes] | None = None
        self._session: boto3.session.Session | None = None
        self._clients: dict[str, Any] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> EmbeddedAws:
        # werkzeug logs every request at INFO on stderr; the progress bar owns stderr.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.mode == "thread":
            from .aws_faults import FaultInjectingMotoServer
            from .moto_atomic import make_dynamodb_writes_atomic, make_sqs_deletes_atomic

            make_dynamodb_writes_atomic()
            make_sqs_deletes_atomic()
            self._server = FaultInjectingMotoServer(ip_address="127.0.0.1", port=0).start()
            host, port = self._server.get_host_and_port()
        else:
            host = "127.0.0.1"
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bedrock_jobs_local.moto_process", host],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            port = self._read_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._session = boto3.session.Session(region_name=self.region, **FAKE_CREDENTIALS)
        return self

    def _read_port(self, timeout: float = 60.0) -> int:
        # The child binds port 0 itself and prints the port once it is listening.
        assert self._process and self._process.stdout
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self._process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        line = result[0].strip() if result else b""
        if not line.isdigit():
            code = self._process.poll()
            self.stop()
            raise RuntimeError(f"moto server did not start (exit code {code}, said {line!r})")
        return int(line)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._process is not None:
            if self._process.stdin:
                self._process.stdin.close()
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._clients.clear()

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def faults(self) -> Any:
        """Control of the AWS errors the embedded AWS injects (``bedrock_jobs_local.aws_faults``)."""
        from .aws_faults import FaultControl

        return FaultControl(self.endpoint_url)

    def client(
        self, service: str, access_key_id: str | None = None, total_max_attempts: int | None = None
    ) -> Any:
        """A client for the runner's own use, configured explicitly rather than from the environment.

        ``access_key_id`` signs as another caller (moto maps every unknown key to the same account), so
        fault rules can target, say, the event source mapping's calls and spare the runner's own reads.
        """
        key = f"{service}:{access_key_id or ''}:{total_max_attempts}"
        if key not in self._clients:
            assert self._session, "call start() first"
            credentials = (
                {"aws_access_key_id": access_key_id, "aws_secret_access_key": "testing"}
                if access_key_id
                else {}
            )
            retries: dict[str, Any] = {"mode": "standard", "max_attempts": 5}
            if total_max_attempts is not None:  # the first attempt included, as Lambda's own settings count
                retries = {"mode": "standard", "total_max_attempts": total_max_attempts}
            self._clients[key] = self._session.client(
                service,
                endpoint_url=self.endpoint_url,
                config=Config(max_pool_connections=64, retries=retries),
                **credentials,
            )
        return self._clients[key]

    def environment(self) -> dict[str, str]:
        """Process environment that sends every standard boto3 client to this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["aws_secret_access_key"],
        }

    # -- resources -------------------------------------------------------------------------------
    def create_resources(self, name: str, queues: QueueSettings) -> Resources:
        sqs, s3, ddb, sns = (self.client(s) for s in ("sqs", "s3", "dynamodb", "sns"))
        suffix = ".fifo" if queues.fifo else ""
        fifo_attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "false"} if queues.fifo else {}

        dlq_url = sqs.create_queue(
            QueueName=f"{name}-dlq{suffix}",
            Attributes={
                "MessageRetentionPeriod": str(queues.dlq_message_retention),
                "VisibilityTimeout": str(queues.dlq_visibility_timeout),
                "SqsManagedSseEnabled": "true",
                **fifo_attributes,
            },
        )["QueueUrl"]
        dlq_arn = self.queue_arn(dlq_url)
        queue_url = sqs.create_queue(
            QueueName=f"{name}-jobs{suffix}",
            Attributes={
                "VisibilityTimeout": str(queues.visibility_timeout),
                "MessageRetentionPeriod": str(queues.message_retention),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queues.max_receive_count}
                ),
                "SqsManagedSseEnabled": "true",
                **fifo_attributes,
            },
        )["QueueUrl"]
        queue_arn = self.queue_arn(queue_url)
        # As the module does; moto accepts the attribute without enforcing it.
        sqs.set_queue_attributes(
            QueueUrl=dlq_url,
            Attributes={
                "RedriveAllowPolicy": json.dumps(
                    {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn]}
                )
            },
        )

        table = f"{name}-jobs"
        ddb.create_table(**jobs_table_definition(table))
        ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )

        payload_bucket, archive_bucket = f"{name}-payload", f"{name}-archive"
        for bucket in (payload_bucket, archive_bucket):
            if self.region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region})

        alerts_arn = sns.create_topic(Name=f"{name}-alerts")["TopicArn"]
        results_arn = sns.create_topic(Name=f"{name}-results")["TopicArn"]
        alerts_inbox = self._inbox(f"{name}-alerts-inbox", alerts_arn)
        results_inbox = self._inbox(f"{name}-results-inbox", results_arn)

        return Resources(
            region=self.region,
            queue_url=queue_url,
            queue_arn=queue_arn,
            dlq_url=dlq_url,
            dlq_arn=dlq_arn,
            jobs_table=table,
            payload_bucket=payload_bucket,
            archive_bucket=archive_bucket,
            alerts_topic_arn=alerts_arn,
            results_topic_arn=results_arn,
            alerts_inbox_url=alerts_inbox,
            results_inbox_url=results_inbox,
        )

    def create_batch_queue(
        self, name: str, visibility_timeout: int, message_retention: int
    ) -> tuple[str, str]:
        """The batch queue and its DLQ, as batch.tf creates them (``<name>-batch``): (queue URL, DLQ URL)."""
        sqs = self.client("sqs")
        dlq_url = sqs.create_queue(
            QueueName=f"{name}-batch-dlq",
            Attributes={"MessageRetentionPeriod": str(message_retention), "SqsManagedSseEnabled": "true"},
        )["QueueUrl"]
        queue_url = sqs.create_queue(
            QueueName=f"{name}-batch",
            Attributes={
                "VisibilityTimeout": str(visibility_timeout),
                "MessageRetentionPeriod": str(message_retention),
                # batch.tf: the submitter may hold a message through many runs before it is submitted.
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": self.queue_arn(dlq_url),
                        "maxReceiveCount": BATCH_MAX_RECEIVE_COUNT,
                    }
                ),
                "SqsManagedSseEnabled": "true",
            },
        )["QueueUrl"]
        return queue_url, dlq_url

    def queue_arn(self, queue_url: str) -> str:
        return self.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def _inbox(self, queue_name: str, topic_arn: str) -> str:
        sqs, sns = self.client("sqs"), self.client("sns")
        url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=self.queue_arn(url))
        return url

    def drain_inbox(self, queue_url: str) -> list[dict[str, Any]]:
        """Every SNS notification delivered to an inbox so far (the SNS envelope, parsed), removing them."""
        sqs = self.client("sqs")
        notices: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages", []
            )
            if not messages:
                return notices
            for message in messages:
                try:
                    notices.append(json.loads(message["Body"]))
                except ValueError:
                    notices.append({"Message": message["Body"]})
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


def jobs_table_definition(table: str) -> dict[str, Any]:
    """CreateTable arguments for the jobs table as storage.tf declares it, with its sparse index of
    failed jobs (``bedrock_jobs.job_store.FAILED_INDEX``)."""
    from bedrock_jobs.job_store import FAILED_DAY, FAILED_INDEX

    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "job_id", "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in ("job_id", FAILED_DAY, "failed_at")
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": FAILED_INDEX,
                "KeySchema": [
                    {"AttributeName": FAILED_DAY, "KeyType": "HASH"},
                    {"AttributeName": "failed_at", "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": ["status", "task", "mode", "error", "archive_uri", "attempts"],
                },
            }
        ],
    }


def queue_depth(sqs: Any, queue_url: str) -> dict[str, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return {
        "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
    }


__all__ = ["ACCOUNT_ID", "EmbeddedAws", "QueueSettings", "Resources", "queue_depth"]
