"""The fault injector in front of the embedded AWS: errors reach botocore as AWS would send them."""

from __future__ import annotations

import botocore.exceptions
import pytest
from bedrock_jobs_local.aws_faults import FaultControl

from tests.conftest import AwsResources


def test_a_dynamodb_fault_is_a_client_error_with_its_code_and_botocore_retries_it(
    aws_env: AwsResources, aws_faults: FaultControl
) -> None:
    aws_faults.add("dynamodb", "PutItem", "ProvisionedThroughputExceededException", 400, times=1)
    ddb = aws_env.client("dynamodb")
    # One injected throttle: botocore's retry layer absorbs it and the write lands.
    ddb.put_item(TableName=aws_env.table, Item={"job_id": {"S": "a"}})
    assert aws_faults.count("dynamodb", "PutItem") == 1
    aws_faults.add("dynamodb", "PutItem", "ProvisionedThroughputExceededException", 400, times=None)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        ddb.put_item(TableName=aws_env.table, Item={"job_id": {"S": "b"}})
    assert caught.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert "Item" not in ddb.get_item(TableName=aws_env.table, Key={"job_id": {"S": "b"}})


def test_an_ambiguous_fault_applies_the_request_then_reports_an_error(
    aws_env: AwsResources, aws_faults: FaultControl
) -> None:
    aws_faults.add("sqs", "SendMessage", "InternalError", 500, times=None, after=True, match="hello")
    sqs = aws_env.client("sqs")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sqs.send_message(QueueUrl=aws_env.queue_url, MessageBody="hello")
    assert caught.value.response["Error"]["Code"] == "InternalError"
    sent = aws_faults.count("sqs", "SendMessage")
    assert sent >= 2  # botocore retried the 5xx, and every attempt was applied
    messages = sqs.receive_message(QueueUrl=aws_env.queue_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in messages] == ["hello"] * sent


@pytest.mark.parametrize(
    ("service", "action", "call"),
    [
        ("s3", "PutObject", lambda aws: aws.client("s3").put_object(Bucket="payloads", Key="k", Body=b"x")),
        ("s3", "GetObject", lambda aws: aws.client("s3").get_object(Bucket="payloads", Key="k")),
        ("sns", "Publish", lambda aws: aws.client("sns").publish(TopicArn=aws.alerts_topic_arn, Message="m")),
        (
            "sqs",
            "ChangeMessageVisibility",
            lambda aws: aws.client("sqs").change_message_visibility(
                QueueUrl=aws.queue_url, ReceiptHandle="r", VisibilityTimeout=1
            ),
        ),
    ],
)
def test_each_protocol_carries_the_injected_code(
    aws_env: AwsResources, aws_faults: FaultControl, service: str, action: str, call: object
) -> None:
    aws_env.client("s3").put_object(Bucket="payloads", Key="k", Body=b"x")
    aws_faults.add(service, action, "AccessDenied", 403, times=1)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(aws_env)  # type: ignore[operator]
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert aws_faults.injected() == [
        {"service": service, "action": action, "code": "AccessDenied", "after": False}
    ]
