"""What the property suites share: their settings, and reading back and emptying the embedded AWS
between examples (one ``aws_env`` serves every example of a test; a moto reset per example would cost
more than the example)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from typing import Any

import bedrock_jobs
from botocore.exceptions import ClientError
from hypothesis import settings

from tests.conftest import AwsResources, _reset_moto, create_resources

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


def examples(ci_examples: int) -> settings:
    """The profile's settings (tests/properties/conftest.py) with ``ci_examples`` examples under ``ci``
    and ten times as many under any other profile."""
    count = ci_examples if PROFILE == "ci" else ci_examples * 10
    return settings(settings.get_profile(PROFILE), max_examples=count)


def table_items(aws: AwsResources) -> dict[str, dict[str, Any]]:
    from bedrock_jobs.job_store import _from_item

    try:
        scan = aws.client("dynamodb").scan(TableName=aws.table, ConsistentRead=True)
    except (AttributeError, TypeError) as exc:
        # moto stores a map with an empty key, which DynamoDB refuses, and then answers with JSON
        # botocore cannot parse: a handler wrote what no real table would have taken.
        raise AssertionError(f"the jobs table holds an item that cannot be read back: {exc!r}") from exc
    return {item["job_id"]["S"]: _from_item(item) for item in scan["Items"]}


def bucket_objects(aws: AwsResources, bucket: str) -> dict[str, bytes]:
    s3 = aws.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def archived_by_message(aws: AwsResources) -> dict[str, list[dict[str, Any]]]:
    """Archive documents (``failed/…``) by the message id they archive."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, raw in bucket_objects(aws, aws.archive_bucket).items():
        if key.startswith("failed/"):
            document = json.loads(raw) | {"_uri": f"s3://{aws.archive_bucket}/{key}"}
            out.setdefault(document["message_id"], []).append(document)
    return out


def take_messages(aws: AwsResources, queue_url: str) -> list[dict[str, Any]]:
    """Every visible message of a queue, received with its attributes and deleted."""
    sqs = aws.client("sqs")
    taken: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return taken
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        taken.extend(messages)


def empty_everything(aws: AwsResources, in_flight: Iterable[tuple[str, str]] = ()) -> None:
    """Leave table, queues, buckets and inboxes empty for the next example.

    ``in_flight``: (queue URL, receipt handle) of messages an example received and that may be invisible
    (a handler changed their visibility), which only their receipt handle can delete. If anything cannot
    be read back (moto answering with something botocore cannot parse), the embedded AWS is reset and
    the resources created again under the same names.
    """
    try:
        _empty(aws, in_flight)
    except Exception:
        _reset_moto(aws.endpoint)
        create_resources(aws.endpoint)
        bedrock_jobs.reset_caches()


def _empty(aws: AwsResources, in_flight: Iterable[tuple[str, str]]) -> None:
    ddb = aws.client("dynamodb")
    for job_id in table_items(aws):
        ddb.delete_item(TableName=aws.table, Key={"job_id": {"S": job_id}})
    sqs = aws.client("sqs")
    for queue_url, receipt_handle in in_flight:
        with contextlib.suppress(ClientError):  # already deleted: the handler acknowledged it
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt_handle)
    for queue_url in (aws.queue_url, aws.dlq_url, aws.alerts_inbox_url, aws.results_inbox_url):
        take_messages(aws, queue_url)
    s3 = aws.client("s3")
    for bucket in (aws.payload_bucket, aws.archive_bucket):
        for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=o["Key"])
