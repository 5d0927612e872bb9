"""Consumer and DLQ archiver properties (issue 9): any message gets an outcome, none is dropped silently.

Messages of every kind (loosely decoded bytes, any JSON, job messages with random fields, EventBridge
events) with any message attributes SQS accepts are really sent to (moto's) SQS, received as Lambda
records, and given to the handlers. The fake model answers from a drawn script of outcomes (successes,
throttling, 5xx, validation errors, access denied).

Consumer (``bedrock_jobs.consumer.handler``): it never raises and returns a partial batch response;
every record it acknowledges has an outcome that stays — archived (the archive holds its body), or its
job finished (``complete`` with a result, or ``failed`` and archived); every other record is a batch
item failure whose job is not left leased; no job gets two successful model calls.

Archiver (``bedrock_jobs.dlq_archiver.handler``), against jobs in every state: it never raises; every
record is archived or requeued by its rules (jobs with no known model attempt or with a saved answer, at most
``ARCHIVER_MAX_REQUEUES`` times); a record it hands back is one whose job is under a live lease; a
complete job keeps its result, a leased job is left alone, every other job it names ends ``failed``
with its archive; and the one alert lists exactly the archived records whose job was not complete.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict
from decimal import Decimal
from typing import Any

import hypothesis
from bedrock_jobs import consumer, dlq_archiver
from bedrock_jobs.dlq_archiver import REQUEUE_ATTRIBUTE
from bedrock_jobs.model_client import ModelResult
from bedrock_jobs.payload_store import PayloadStore
from bedrock_jobs_local.fake_bedrock import FakeBedrock
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import REGION, AwsResources
from tests.properties.strategies import SQS_CHAR, any_json, json_values, sqs_text
from tests.properties.support import (
    archived_by_message,
    empty_everything,
    examples,
    table_items,
    take_messages,
)
from tests.support.lambda_events import FakeLambdaContext, receive_event

JOB_IDS = ["job-a", "job-b", "job-c"]
ARCHIVER_MAX_REQUEUES = 3  # the default of ARCHIVER_MAX_REQUEUES, which the tests do not set

# -- message bodies ---------------------------------------------------------------------------------------

sqs_json = json_values(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), sqs_text), keys=sqs_text
)
job_ids = st.one_of(
    st.sampled_from(JOB_IDS), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True), sqs_json
)
documents = st.one_of(
    st.text(SQS_CHAR, min_size=1, max_size=60), st.sampled_from(["POISON here", "INVALID-INPUT", " "])
)
valid_messages = (
    st.fixed_dictionaries(
        {"job_id": st.sampled_from(JOB_IDS), "task": st.just("summarize"), "document": documents},
        optional={
            "model_id": st.sampled_from(["amazon.nova-lite-v1:0", "anthropic.claude-opus-9"]),
            "metadata": st.dictionaries(st.text(SQS_CHAR, min_size=1, max_size=6), sqs_json, max_size=3),
            "correlation_id": sqs_text,
            "submitted_at": sqs_text,
        },
    )
    | st.fixed_dictionaries(
        {
            "job_id": st.sampled_from(JOB_IDS),
            "task": st.just("classify"),
            "document": documents,
            "labels": st.lists(st.text(SQS_CHAR, min_size=1, max_size=8), min_size=1, max_size=3),
        }
    )
    | st.fixed_dictionaries(
        {
            "job_id": st.sampled_from(JOB_IDS),
            "task": st.just("summarize"),
            "document_uri": st.sampled_from(
                [
                    "s3://payloads/documents/present",
                    "s3://payloads/documents/missing",
                    "s3://Not A Bucket/x",
                    "file:///etc",
                ]
            ),
        }
    )
)
MESSAGE_FIELDS = [
    "job_id",
    "task",
    "document",
    "document_uri",
    "labels",
    "model_id",
    "metadata",
    "correlation_id",
    "extra",
]


@st.composite
def job_messages(draw: st.DrawFn) -> dict[str, Any]:
    """A job message with up to two fields replaced by, or added as, any JSON value."""
    message = draw(valid_messages)
    for name in draw(st.lists(st.sampled_from(MESSAGE_FIELDS), max_size=2, unique=True)):
        message[name] = draw(st.one_of(job_ids, sqs_json))
    return message


eventbridge_events = st.fixed_dictionaries(
    {
        "id": job_ids,
        "source": st.one_of(st.just("aws.s3"), sqs_text),
        "detail-type": st.one_of(st.just("Object Created"), sqs_text),
        "detail": st.one_of(
            st.fixed_dictionaries(
                {
                    "bucket": st.fixed_dictionaries({"name": st.sampled_from(["payloads", "nope"])}),
                    "object": st.fixed_dictionaries(
                        {"key": st.sampled_from(["documents/present", "documents/missing", "a+b%2Fc"])}
                    ),
                }
            ),
            job_messages(),
            sqs_json,
        ),
    },
    optional={"time": sqs_text},
)


def _sqs_safe(text: str) -> str:
    # What SQS would refuse is replaced; an empty body cannot be sent at all.
    safe = "".join(
        c
        if c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD or ord(c) > 0xFFFF
        else "?"
        for c in text
    )
    return safe or "?"


bodies = st.one_of(
    st.builds(json.dumps, job_messages()),
    st.builds(json.dumps, job_messages()),
    st.builds(json.dumps, eventbridge_events),
    st.builds(json.dumps, any_json),
    st.binary(min_size=1, max_size=80).map(lambda b: _sqs_safe(b.decode("utf-8", "replace"))),
    st.sampled_from(["[" * 50_000 + "]" * 50_000, "{}", "null", '{"job_id": "job-a"}']),
)

# -- message attributes (as SQS accepts them: SendMessage API reference, "MessageAttributeValue") ------

attribute_names = st.one_of(
    st.sampled_from(["job_id", "task", "correlation_id", REQUEUE_ATTRIBUTE]),
    st.from_regex(r"[A-Za-z0-9_\-]{1,20}", fullmatch=True).filter(
        lambda n: not n.lower().startswith(("aws", "amazon"))
    ),
)
attribute_values = st.one_of(
    st.builds(
        lambda v: {"DataType": "String", "StringValue": v},
        st.one_of(st.sampled_from(JOB_IDS), st.text(SQS_CHAR, min_size=1, max_size=20)),
    ),
    st.builds(lambda v: {"DataType": "Number", "StringValue": str(v)}, st.integers(-5, 10)),
    st.builds(lambda v: {"DataType": "Binary", "BinaryValue": v}, st.binary(min_size=1, max_size=10)),
    st.builds(
        lambda v: {"DataType": "String.custom", "StringValue": v}, st.text(SQS_CHAR, min_size=1, max_size=10)
    ),
)
attributes = st.dictionaries(attribute_names, attribute_values, max_size=3)
messages = st.lists(st.tuples(bodies, attributes), min_size=1, max_size=4)

# Model outcomes for the calls of one example; "timeout" is left out only because it costs seconds.
model_scripts = st.lists(
    st.sampled_from(
        ["ok", "ok", "ok", "throttle", "error", "unavailable", "validation", "not_ready", "access_denied"]
    ),
    max_size=6,
)


# -- running the handlers ---------------------------------------------------------------------------------


def send_all(
    aws: AwsResources, queue_url: str, queue_arn: str, batch: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    sqs = aws.client("sqs")
    for body, message_attributes in batch:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes=message_attributes)
    event = receive_event(sqs, queue_url, queue_arn, REGION, max_messages=len(batch))
    assert len(event["Records"]) == len(batch)
    return event


def job_id_named_by(body: str) -> str | None:
    """The job a body names (the SPEC message's ``job_id``; for a raw EventBridge event, ``detail.job_id``
    or else the event id), whether or not it is a valid id; ``None`` if it names none."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if "detail-type" in data and "source" in data and "job_id" not in data:
        detail = data.get("detail") if isinstance(data.get("detail"), dict) else {}
        candidate = detail.get("job_id") or data.get("id")
    else:
        candidate = data.get("job_id")
    return candidate if isinstance(candidate, str) else None


def failed_ids(event: dict[str, Any], response: Any) -> set[str]:
    assert isinstance(response, dict) and isinstance(response.get("batchItemFailures"), list), response
    ids = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert ids <= {r["messageId"] for r in event["Records"]}, response
    return ids


def clear_model_script(fake: FakeBedrock) -> None:
    with fake._lock:  # the fake has no public way to drop a script; the next example brings its own
        fake._script.clear()


@examples(40)
@given(batch=messages, script=model_scripts, document_present=st.booleans())
def test_the_consumer_gives_every_record_an_outcome(
    aws_env: AwsResources,
    fake_bedrock: FakeBedrock,
    batch: list[tuple[str, dict[str, Any]]],
    script: list[str],
    document_present: bool,
) -> None:
    aws = aws_env
    if document_present:
        aws.client("s3").put_object(
            Bucket=aws.payload_bucket, Key="documents/present", Body=b"A document in S3."
        )
    fake_bedrock.push_script(*script)
    calls_before = len(fake_bedrock.calls)
    event = send_all(aws, aws.queue_url, aws.queue_arn, batch)
    try:
        response = consumer.handler(event, FakeLambdaContext(timeout_seconds=50))
        retried = failed_ids(event, response)
        items = table_items(aws)
        archives = archived_by_message(aws)
        archive_uris = {a["_uri"] for docs in archives.values() for a in docs}

        for record in event["Records"]:
            message_id, body = record["messageId"], record["body"]
            if message_id in retried:
                hypothesis.event("consumer: retried")
                continue
            own = archives.get(message_id, [])
            hypothesis.event("consumer: archived" if own else "consumer: finished its job")
            if own:
                assert [a["body"] for a in own] == [body], "an acknowledged record's archive holds its body"
                continue
            # Acknowledged without an archive of its own: only a job message whose job is finished.
            job = items.get(job_id_named_by(body) or "")
            assert job is not None, f"record acknowledged with no archive and no job: {body[:200]!r}"
            assert job["status"] in ("complete", "failed"), job
            if job["status"] == "failed":
                assert job.get("archive_uri") in archive_uris, job

        for job_id, job in items.items():
            hypothesis.event(f"consumer: a job ended {job['status']}")
            assert job["status"] != "processing", f"job {job_id} left leased after the invocation"
            assert job.get("attempts", 0) >= 0, job
            if job["status"] == "complete":
                assert job.get("result") is not None or job.get("result_uri"), job
            if job["status"] == "failed":
                assert job.get("archive_uri") in archive_uris, f"failed job {job_id} has no archive: {job}"

        calls = fake_bedrock.calls[calls_before:]
        successes: dict[str, int] = {}
        for call in calls:
            if call.status == 200 and call.outcome == "ok":
                successes[call.job_id or ""] = successes.get(call.job_id or "", 0) + 1
        assert all(n == 1 for n in successes.values()), f"two successful model calls for one job: {successes}"
        for job_id in successes:
            assert items[job_id]["status"] == "complete", (job_id, items[job_id])
    finally:
        clear_model_script(fake_bedrock)
        empty_everything(aws, [(aws.queue_url, r["receiptHandle"]) for r in event["Records"]])


# -- the archiver -----------------------------------------------------------------------------------------

JOB_STATES = ["absent", "pending", "pending-attempted", "leased", "lease-expired", "complete", "failed"]


def write_job(aws: AwsResources, job_id: str, state: str, saved_answer: bool) -> None:
    now = time.time()
    item: dict[str, Any] = {"job_id": {"S": job_id}, "task": {"S": "summarize"}}
    if state == "absent":
        pass
    elif state == "pending":
        item["status"] = {"S": "pending"}
    elif state == "pending-attempted":
        # Given back twice by holders that had called the model (release counts model_attempts).
        item.update(
            status={"S": "pending"},
            attempts={"N": "2"},
            model_attempts={"N": "2"},
            last_error={"S": "model throttled"},
        )
    elif state in ("leased", "lease-expired"):
        lease = now + 300 if state == "leased" else now - 10
        item.update(
            status={"S": "processing"},
            attempts={"N": "1"},
            claim_token={"S": f"token-{job_id}"},
            lease_expires_at={"N": str(Decimal(str(round(lease, 3))))},
        )
    elif state == "complete":
        item.update(status={"S": "complete"}, attempts={"N": "1"}, result={"S": f"result of {job_id}"})
    elif state == "failed":
        item.update(status={"S": "failed"}, attempts={"N": "3"}, error={"S": "earlier failure"})
    if state != "absent":
        aws.client("dynamodb").put_item(TableName=aws.table, Item=item)
    if saved_answer:
        answer = ModelResult("saved answer", "end_turn", 1, 1, 1, "amazon.nova-lite-v1:0")
        PayloadStore(aws.payload_bucket, s3=aws.client("s3")).save_model_answer(job_id, asdict(answer))


def requeue_count(record: dict[str, Any]) -> int:
    """The requeue counter a dead-lettered record carries (a Lambda record's attribute shape)."""
    value = (record["messageAttributes"].get(REQUEUE_ATTRIBUTE) or {}).get("stringValue")
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def record_attributes(record: dict[str, Any]) -> frozenset[tuple[str, str, str]]:
    """A Lambda record's message attributes but the requeue counter, comparable with a sent message's."""
    return frozenset(
        (name, value["dataType"], value.get("stringValue") or value.get("binaryValue") or "")
        for name, value in record["messageAttributes"].items()
        if name != REQUEUE_ATTRIBUTE
    )


def requeued_signature(message: dict[str, Any]) -> tuple[str, frozenset[tuple[str, str, str]], str | None]:
    attributes = message.get("MessageAttributes") or {}
    values = frozenset(
        (
            name,
            value["DataType"],
            value.get("StringValue") or base64.b64encode(value.get("BinaryValue") or b"").decode("ascii"),
        )
        for name, value in attributes.items()
        if name != REQUEUE_ATTRIBUTE
    )
    return message["Body"], values, (attributes.get(REQUEUE_ATTRIBUTE) or {}).get("StringValue")


dead_letters = st.lists(
    st.tuples(
        bodies,
        st.one_of(
            attributes,
            # As the producer sends them, with a requeue counter around the limit.
            st.builds(
                lambda job_id, count: {
                    "job_id": {"DataType": "String", "StringValue": job_id},
                    REQUEUE_ATTRIBUTE: {"DataType": "Number", "StringValue": str(count)},
                },
                st.sampled_from(JOB_IDS),
                st.integers(0, ARCHIVER_MAX_REQUEUES + 1),
            ),
        ),
    ),
    min_size=1,
    max_size=4,
)


@examples(40)
@given(
    batch=dead_letters,
    states=st.fixed_dictionaries({job_id: st.sampled_from(JOB_STATES) for job_id in JOB_IDS}),
    saved_answers=st.fixed_dictionaries({job_id: st.booleans() for job_id in JOB_IDS}),
)
def test_the_archiver_archives_or_requeues_every_record(
    aws_env: AwsResources,
    batch: list[tuple[str, dict[str, Any]]],
    states: dict[str, str],
    saved_answers: dict[str, bool],
) -> None:
    aws = aws_env
    for job_id in JOB_IDS:
        write_job(aws, job_id, states[job_id], saved_answers[job_id])
    before = table_items(aws)
    event = send_all(aws, aws.dlq_url, aws.dlq_arn, batch)
    try:
        response = dlq_archiver.handler(
            event, FakeLambdaContext(timeout_seconds=30, function_name="bedrock-jobs-dlq-archiver")
        )
        handed_back = failed_ids(event, response)
        items = table_items(aws)
        archives = archived_by_message(aws)
        archive_uris = {a["_uri"] for docs in archives.values() for a in docs}
        requeued = take_messages(aws, aws.queue_url)
        alerts = aws.published(aws.alerts_inbox_url)

        paged: set[str] = set()
        for record in event["Records"]:
            message_id, body = record["messageId"], record["body"]
            own = archives.get(message_id, [])
            count = requeue_count(record)
            if not own:
                signature = (body, record_attributes(record), str(count + 1))
                copy = next((m for m in requeued if requeued_signature(m) == signature), None)
                assert copy is not None, f"record neither archived nor requeued: {body[:200]!r}"
                requeued.remove(copy)
                hypothesis.event("archiver: requeued")
                assert count < ARCHIVER_MAX_REQUEUES, "requeued more often than ARCHIVER_MAX_REQUEUES"
                named = record["messageAttributes"].get("job_id", {}).get("stringValue") or job_id_named_by(
                    body
                )
                pre = before.get(named or "")
                # Requeued only when no invocation is known to have called the model (nothing counted in
                # model_attempts and no live lease: never claimed, given back untried, or crashed holders),
                # or when an earlier delivery saved the model's answer.
                assert (
                    pre is None
                    or (
                        pre["status"] in ("pending", "processing")
                        and states[named] != "leased"
                        and not pre.get("model_attempts")
                    )
                    or (
                        saved_answers.get(named or "")
                        and pre["status"] in ("pending", "processing")
                        and states[named] != "leased"
                    )
                ), f"requeued a record whose job was attempted and has no saved answer: {pre}"
                continue
            assert [a["body"] for a in own] == [body], "the archive holds the record's body"
            job_id = own[0]["job_id"]
            pre = before.get(job_id or "")
            post = items.get(job_id or "")
            if message_id in handed_back:
                hypothesis.event("archiver: deferred")
                assert pre is not None and states.get(job_id) == "leased", "only a live lease defers a record"
                continue
            if pre is not None and pre["status"] == "complete":
                hypothesis.event("archiver: acknowledged")
                continue  # acknowledged: not paged
            paged.add(message_id)
            hypothesis.event("archiver: failed and paged")
            if job_id is not None:
                assert post is not None and post["status"] == "failed", (job_id, post)
                assert post.get("archive_uri") in archive_uris, post

        assert requeued == [], "every message on the main queue is the requeue of one record"
        for job_id, job in before.items():
            if job["status"] == "complete":
                assert items[job_id] == job, "a complete job keeps its result and state"
            if states[job_id] == "leased":
                assert (
                    items[job_id]["status"] == "processing"
                    and items[job_id]["claim_token"] == job["claim_token"]
                )

        if paged:
            assert len(alerts) == 1, alerts
            listed = {f["message_id"] for f in alerts[0]["failures"]}
            assert alerts[0]["count"] == len(paged) and listed == paged, (alerts, paged)
        else:
            assert alerts == [], alerts
    finally:
        empty_everything(aws, [(aws.dlq_url, r["receiptHandle"]) for r in event["Records"]])
