"""The local SQS poller against Lambda's documented event source mapping behaviour.

Each test names the behaviour it checks; the source is docs.aws.amazon.com/lambda/latest/dg/
with-sqs.html (event shape, batching), services-sqs-errorhandling.html (partial batch responses) and
services-sqs-scaling.html (maximum concurrency). No assertion depends on how fast this machine is.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import SqsModel
from bedrock_jobs_local.event_source_mapping import (
    MappingConfig,
    MappingConfigError,
    SqsEventSourceMapping,
    WholeBatchFailure,
    failed_message_ids,
)
from bedrock_jobs_local.lambda_context import LambdaContext, LambdaFunction

from tests.local.helpers import Recorder, wait_until


def mapping(
    aws: Any, queue_url: str, queue_arn: str, handler: Any, timeout: float = 5.0, **config: Any
) -> SqsEventSourceMapping:
    config.setdefault("idle_wait_seconds", 0)  # short polls, so stopping a mapping is immediate
    dead_letter_source_arn = config.pop("dead_letter_source_arn", None)
    return SqsEventSourceMapping(
        aws.client("sqs"),
        queue_url,
        queue_arn,
        LambdaFunction("fn", handler, timeout, 256),
        MappingConfig(**config),
        dead_letter_source_arn=dead_letter_source_arn,
    )


def send(aws: Any, queue_url: str, *bodies: str, **kwargs: Any) -> None:
    for body in bodies:
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=body, **kwargs)


def is_empty(aws: Any, queue_url: str) -> bool:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    return (
        int(attributes["ApproximateNumberOfMessages"])
        + int(attributes["ApproximateNumberOfMessagesNotVisible"])
        == 0
    )


# -- the event ---------------------------------------------------------------------------------------
def test_records_have_lambdas_shape(aws, make_queue):
    queue = make_queue()
    send(
        aws,
        queue.url,
        '{"hello": "world"}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "ticket"},
            "size": {"DataType": "Number", "StringValue": "42"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    recorder = Recorder()
    with mapping(aws, queue.url, queue.arn, recorder, pollers=1):
        wait_until(lambda: recorder.records)
    event = recorder.events[0]
    assert list(event) == ["Records"]
    SqsModel.model_validate(event)  # Powertools' model of the documented Lambda SQS event
    record = event["Records"][0]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["body"] == '{"hello": "world"}'
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["awsRegion"] == "us-east-1"
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert all(isinstance(v, str) for v in record["attributes"].values())
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "ticket",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "size": {"stringValue": "42", "stringListValues": [], "binaryListValues": [], "dataType": "Number"},
        "blob": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
    }


def test_record_without_message_attributes_has_no_attribute_digest(aws, make_queue):
    queue = make_queue()
    send(aws, queue.url, "plain")
    recorder = Recorder()
    with mapping(aws, queue.url, queue.arn, recorder, pollers=1):
        wait_until(lambda: recorder.records)
    record = recorder.records[0]
    assert record["messageAttributes"] == {}
    assert "md5OfMessageAttributes" not in record


def test_fifo_records_carry_group_deduplication_and_sequence(aws, make_queue):
    queue = make_queue(fifo=True)
    send(aws, queue.url, "first", MessageGroupId="g1", MessageDeduplicationId="d1")
    recorder = Recorder()
    with mapping(aws, queue.url, queue.arn, recorder, pollers=1, fifo=True):
        wait_until(lambda: recorder.records)
    attributes = recorder.records[0]["attributes"]
    assert attributes["MessageGroupId"] == "g1"
    assert attributes["MessageDeduplicationId"] == "d1"
    assert attributes["SequenceNumber"].isdigit()


# -- batching ----------------------------------------------------------------------------------------
def test_batch_size_is_respected(aws, make_queue):
    queue = make_queue(visibility=30)
    bodies = [f"m{i}" for i in range(23)]
    send(aws, queue.url, *bodies)
    recorder = Recorder()
    with mapping(
        aws,
        queue.url,
        queue.arn,
        recorder,
        batch_size=7,
        maximum_batching_window_seconds=1,
        maximum_concurrency=2,
        pollers=2,
    ):
        wait_until(lambda: len(recorder.records) >= len(bodies))
    sizes = [len(e["Records"]) for e in recorder.events]
    assert max(sizes) == 7
    assert sorted(r["body"] for r in recorder.records) == sorted(bodies)


def test_batches_larger_than_one_receive_are_gathered(aws, make_queue):
    # ReceiveMessage returns at most 10; with a window Lambda keeps polling up to the batch size.
    queue = make_queue(visibility=30)
    send(aws, queue.url, *[f"m{i}" for i in range(25)])
    recorder = Recorder()
    with mapping(
        aws, queue.url, queue.arn, recorder, batch_size=25, maximum_batching_window_seconds=3, pollers=1
    ):
        wait_until(lambda: len(recorder.records) >= 25)
    assert [len(e["Records"]) for e in recorder.events] == [25]


def test_without_a_window_the_function_gets_what_one_receive_returned(aws, make_queue):
    queue = make_queue(visibility=30)
    recorder = Recorder()
    with mapping(
        aws, queue.url, queue.arn, recorder, batch_size=10, maximum_batching_window_seconds=0, pollers=1
    ):
        send(aws, queue.url, "early")
        wait_until(lambda: recorder.records)
        send(aws, queue.url, "late")
        wait_until(lambda: len(recorder.records) == 2)
    assert [[r["body"] for r in e["Records"]] for e in recorder.events] == [["early"], ["late"]]


def test_batching_window_waits_for_more_messages(aws, make_queue):
    queue = make_queue(visibility=30)  # longer than the window, as AWS requires
    recorder = Recorder()
    with mapping(
        aws, queue.url, queue.arn, recorder, batch_size=10, maximum_batching_window_seconds=2, pollers=1
    ):
        send(aws, queue.url, "early")
        time.sleep(0.3)  # well inside the window
        send(aws, queue.url, "late")
        wait_until(lambda: len(recorder.records) == 2)
    assert [sorted(r["body"] for r in e["Records"]) for e in recorder.events] == [["early", "late"]]


def test_maximum_concurrency_bounds_parallel_invocations(aws, make_queue):
    queue = make_queue(visibility=30)
    send(aws, queue.url, *[f"m{i}" for i in range(12)])
    active, peak = 0, 0
    lock = threading.Lock()

    def slow(event: dict, context: Any) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.3)
        with lock:
            active -= 1

    recorder = Recorder(respond=slow)
    esm = mapping(aws, queue.url, queue.arn, recorder, batch_size=1, maximum_concurrency=3, pollers=5)
    with esm:
        wait_until(lambda: len(recorder.records) == 12)
    assert peak == 3
    assert esm.snapshot()["max_in_flight"] == 3
    # Messages are only received for a free slot, so none was received and left waiting.
    assert esm.snapshot()["redeliveries"] == 0


# -- responses ---------------------------------------------------------------------------------------
def test_partial_batch_response_keeps_only_the_reported_messages(aws, make_queue):
    queue = make_queue(visibility=1)
    send(aws, queue.url, "ok-1", "bad", "ok-2")

    def fail_bad_once(event: dict, context: Any) -> dict:
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]}
                for r in event["Records"]
                if r["body"] == "bad" and r["attributes"]["ApproximateReceiveCount"] == "1"
            ]
        }

    recorder = Recorder(respond=fail_bad_once)
    with mapping(aws, queue.url, queue.arn, recorder, batch_size=10, pollers=1):
        wait_until(lambda: len(recorder.deliveries("bad")) == 2)
        wait_until(lambda: is_empty(aws, queue.url))
    assert len(recorder.deliveries("ok-1")) == 1
    assert len(recorder.deliveries("ok-2")) == 1
    assert recorder.deliveries("bad")[1]["attributes"]["ApproximateReceiveCount"] == "2"


def test_an_exception_returns_the_whole_batch(aws, make_queue):
    queue = make_queue(visibility=1)
    send(aws, queue.url, "a", "b")

    def crash_first(event: dict, context: Any) -> None:
        if event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1":
            raise RuntimeError("boom")

    recorder = Recorder(respond=crash_first)
    esm = mapping(aws, queue.url, queue.arn, recorder, batch_size=10, pollers=1)
    with esm:
        wait_until(lambda: len(recorder.records) >= 4)
        wait_until(lambda: is_empty(aws, queue.url))
    assert sorted(r["body"] for r in recorder.records) == ["a", "a", "b", "b"]
    assert esm.snapshot()["errors"] >= 1


@pytest.mark.parametrize(
    "entry",
    [
        {"itemIdentifier": ""},
        {"itemIdentifier": None},
        {"messageId": "x"},
        {"itemIdentifier": "not-in-this-batch"},
        "just-a-string",
    ],
)
def test_a_malformed_item_identifier_fails_the_whole_batch(aws, make_queue, entry):
    queue = make_queue(visibility=1)
    send(aws, queue.url, "a", "b")

    def malformed_first(event: dict, context: Any) -> dict | None:
        if event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1":
            return {"batchItemFailures": [entry]}
        return None

    recorder = Recorder(respond=malformed_first)
    esm = mapping(aws, queue.url, queue.arn, recorder, batch_size=10, pollers=1)
    with esm:
        wait_until(lambda: len(recorder.records) >= 4)
        wait_until(lambda: is_empty(aws, queue.url))
    assert sorted(r["body"] for r in recorder.records) == ["a", "a", "b", "b"]
    assert esm.snapshot()["whole_batch_failures"] == 1


def test_without_report_batch_item_failures_a_normal_return_deletes_everything(aws, make_queue):
    queue = make_queue(visibility=1)
    send(aws, queue.url, "a")
    recorder = Recorder(
        respond=lambda e, c: {"batchItemFailures": [{"itemIdentifier": e["Records"][0]["messageId"]}]}
    )
    with mapping(aws, queue.url, queue.arn, recorder, report_batch_item_failures=False, pollers=1):
        wait_until(lambda: recorder.records)
        wait_until(lambda: is_empty(aws, queue.url))
    assert len(recorder.records) == 1


@pytest.mark.parametrize(
    "response", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, {"statusCode": 200}]
)
def test_documented_complete_success_responses(response):
    assert failed_message_ids(response, ["m1", "m2"]) == set()


@pytest.mark.parametrize(
    "response",
    [
        [],
        42,
        "",
        '{"batchItemFailures": []}',
        {"batchItemFailures": "m1"},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemidentifier": "m1"}]},
        {"batchItemFailures": [{"itemIdentifier": "m3"}]},
    ],
)
def test_documented_complete_failure_responses(response):
    with pytest.raises(WholeBatchFailure):
        failed_message_ids(response, ["m1", "m2"])


def test_partial_failure_ids():
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "m2"}]}, ["m1", "m2"]) == {"m2"}


# -- timeouts and the context ------------------------------------------------------------------------
def test_a_function_timeout_returns_the_whole_batch(aws, make_queue):
    queue = make_queue(visibility=2)
    send(aws, queue.url, "slow")

    def hang_first(event: dict, context: Any) -> None:
        if event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "1":
            time.sleep(context.get_remaining_time_in_millis() / 1000 + 0.5)

    recorder = Recorder(respond=hang_first)
    esm = mapping(aws, queue.url, queue.arn, recorder, timeout=0.5, pollers=1)
    with esm:
        wait_until(lambda: len(recorder.records) == 2)
        wait_until(lambda: is_empty(aws, queue.url))
    assert esm.snapshot()["timeouts"] == 1
    assert [r["attributes"]["ApproximateReceiveCount"] for r in recorder.records] == ["1", "2"]


def test_the_context_counts_down_from_the_function_timeout():
    now = [100.0]
    context = LambdaContext("consumer", 50, 512, region="eu-west-1", clock=lambda: now[0])
    assert context.get_remaining_time_in_millis() == 50_000
    now[0] += 12.5
    assert context.get_remaining_time_in_millis() == 37_500
    now[0] += 60
    assert context.get_remaining_time_in_millis() == 0
    assert context.function_name == "consumer"
    assert context.memory_limit_in_mb == 512
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:123456789012:function:consumer"
    assert context.function_version == "$LATEST"
    assert context.log_group_name == "/aws/lambda/consumer"


def test_each_invocation_gets_a_fresh_counting_down_context(aws, make_queue):
    queue = make_queue()
    send(aws, queue.url, "a", "b")
    seen: list[tuple[str, int, int]] = []

    def observe(event: dict, context: Any) -> None:
        first = context.get_remaining_time_in_millis()
        time.sleep(0.05)
        seen.append((context.aws_request_id, first, context.get_remaining_time_in_millis()))

    with mapping(aws, queue.url, queue.arn, Recorder(respond=observe), timeout=7, batch_size=1, pollers=1):
        wait_until(lambda: len(seen) == 2)
    assert seen[0][0] != seen[1][0]
    for _, first, later in seen:
        assert 0 < later < first <= 7000


# -- redrive -----------------------------------------------------------------------------------------
def test_redrive_to_the_dlq_after_max_receive_count_and_the_dlq_mapping(aws, make_queue):
    queue = make_queue(visibility=1, max_receive=2)
    send(aws, queue.url, "poison", "fine")

    def fail_poison(event: dict, context: Any) -> dict:
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "poison"
            ]
        }

    consumer = Recorder(respond=fail_poison)
    archiver = Recorder()
    with (
        mapping(aws, queue.url, queue.arn, consumer, pollers=1),
        mapping(aws, queue.dlq_url, queue.dlq_arn, archiver, pollers=1, dead_letter_source_arn=queue.arn),
    ):
        wait_until(lambda: archiver.records, timeout=30)
        wait_until(lambda: is_empty(aws, queue.url) and is_empty(aws, queue.dlq_url))
    assert [r["attributes"]["ApproximateReceiveCount"] for r in consumer.deliveries("poison")] == ["1", "2"]
    assert len(consumer.deliveries("fine")) == 1
    [dead] = archiver.records
    assert dead["body"] == "poison"
    assert dead["messageId"] == consumer.deliveries("poison")[0]["messageId"]
    assert dead["eventSourceARN"] == queue.dlq_arn
    assert dead["attributes"]["DeadLetterQueueSourceArn"] == queue.arn


# -- configuration and lifecycle ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "config",
    [
        {"batch_size": 0},
        {"batch_size": 11},  # more than one receive needs a batching window
        {"batch_size": 10_001, "maximum_batching_window_seconds": 1},
        {"batch_size": 11, "fifo": True, "maximum_batching_window_seconds": 0},
        {"fifo": True, "maximum_batching_window_seconds": 1},
        {"maximum_batching_window_seconds": 301},
        {"maximum_concurrency": 1},
        {"maximum_concurrency": 1001},
    ],
)
def test_settings_lambda_rejects_are_rejected(config):
    with pytest.raises(MappingConfigError):
        MappingConfig(**config).validate()


def test_stop_waits_for_in_flight_invocations(aws, make_queue):
    queue = make_queue(visibility=30)
    send(aws, queue.url, "a")
    started, finished = threading.Event(), threading.Event()

    def slow(event: dict, context: Any) -> None:
        started.set()
        time.sleep(0.5)
        finished.set()

    esm = mapping(aws, queue.url, queue.arn, Recorder(respond=slow), pollers=1).start()
    assert started.wait(20)
    esm.stop()
    assert finished.is_set()
    assert is_empty(aws, queue.url)
