"""Producer properties (issue 9): whatever arrives, the HTTP API answers with its error shape or a job.

Through ``bedrock_jobs.producer.handler`` against moto, for arbitrary request bodies, arbitrary HTTP API
(payload format 2.0) events and arbitrary non-HTTP events (direct invokes):

* the handler never raises and never answers 5xx (nothing is faulty in the embedded AWS here, so any
  5xx would be the producer's own failure on some input);
* a 4xx stores nothing: the table, the queue and the payload bucket stay empty;
* a 202 leaves exactly one ``pending`` record and one queue message for the returned job id, the
  document either inline in the message or as the one object in the payload bucket, and that document
  is the one the request carried.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import hypothesis
from bedrock_jobs import producer
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import AwsResources
from tests.properties.strategies import any_json, any_text, deep_json_text, dumps, json_objects, json_values
from tests.properties.support import (
    bucket_objects,
    empty_everything,
    examples,
    table_items,
    take_messages,
)
from tests.support.http_events import http_event
from tests.support.jobs import queue_counts
from tests.support.lambda_events import FakeLambdaContext

ALLOWED_MODELS = ["anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0", "my-profile"]

# -- request bodies ---------------------------------------------------------------------------------------

documents = st.one_of(
    st.text(min_size=1, max_size=200),
    any_text,
    # Around the inline limit (200,000 bytes) and the document limit (1,000,000 bytes), in one- and
    # two-byte characters.
    st.builds(
        lambda n, c: c * n,
        st.sampled_from([199_999, 200_001, 999_999, 1_000_001]),
        st.sampled_from(["x", "é"]),
    ),
)
label_lists = st.lists(st.text(st.characters(codec="utf-8"), min_size=1, max_size=12), min_size=1, max_size=4)
storable_json = json_values(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.text(max_size=20)),
    keys=st.text(max_size=8),
)
# Job requests as a client would write them; ``requests`` then breaks some of them.
valid_jobs = st.fixed_dictionaries(
    {"task": st.just("summarize"), "document": documents},
    optional={
        "model_id": st.sampled_from(ALLOWED_MODELS),
        "metadata": st.dictionaries(st.text(max_size=8), storable_json, max_size=3),
        "idempotency_key": st.text(min_size=1, max_size=256),
    },
) | st.fixed_dictionaries(
    {"task": st.just("classify"), "document": documents, "labels": label_lists},
    optional={"idempotency_key": st.text(min_size=1, max_size=256)},
)
FIELDS = [
    "task",
    "document",
    "labels",
    "model_id",
    "metadata",
    "idempotency_key",
    "correlation_id",
    "priority",
]


@st.composite
def job_requests(draw: st.DrawFn) -> dict[str, Any]:
    """A job request with up to two fields replaced by, or added as, any JSON value at all."""
    request = draw(valid_jobs)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True)):
        request[name] = draw(any_json)
    return request


# Most bodies are job requests, so the 202 path is exercised as much as the refusals.
request_bodies = st.one_of(
    st.builds(dumps, job_requests(), st.booleans()),
    st.builds(dumps, job_requests(), st.booleans()),
    st.builds(dumps, any_json, st.booleans()),
    any_text,
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    deep_json_text(),
)


# -- HTTP API events --------------------------------------------------------------------------------------

authorizers = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "iam": st.fixed_dictionaries(
                {}, optional={k: any_json for k in ("accountId", "callerId", "userId", "userArn")}
            )
        }
    ),
    st.fixed_dictionaries(
        {
            "jwt": st.fixed_dictionaries(
                {"claims": json_objects | st.fixed_dictionaries({"sub": any_json, "iss": any_json})}
            )
        }
    ),
    st.fixed_dictionaries({"lambda": json_objects}),
    any_json,
)


@st.composite
def http_events(draw: st.DrawFn) -> dict[str, Any]:
    """Half of them job submissions from any caller with any headers; the rest anything at all."""
    submission = draw(st.booleans())
    if submission:
        method, path = "POST", "/jobs"
        body: str | None = draw(st.builds(dumps, job_requests(), st.booleans()))
        encodings = ["plain", "base64"]
    else:
        method = draw(
            st.one_of(st.sampled_from(["POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS"]), any_text)
        )
        path = draw(
            st.one_of(
                st.sampled_from(
                    ["/jobs", "/jobs/", "/jobs/0b7d9a1e-7c1b-4c3e-9a4e-1f2d3c4b5a69", "/jobs/a/b", "/"]
                ),
                st.builds(lambda s: "/jobs/" + s, any_text),
                any_text,
            )
        )
        body = draw(st.one_of(st.none(), request_bodies))
        encodings = ["plain", "base64", "base64-invalid-utf8", "not-base64"]
    event = http_event("POST", "/jobs")  # a well-formed event, then every part of it drawn
    event["rawPath"] = path
    event["requestContext"]["http"].update(method=method, path=path)
    event["headers"] = draw(
        st.one_of(
            st.just(event["headers"]),
            st.dictionaries(any_text, any_text, max_size=4).map(lambda h: event["headers"] | h),
            st.fixed_dictionaries({"x-correlation-id": any_text}).map(lambda h: event["headers"] | h),
        )
    )
    if body is not None:
        encoding = draw(st.sampled_from(encodings))
        if encoding == "plain":
            event["body"] = body
        elif encoding == "not-base64":
            event.update(body=body, isBase64Encoded=True)
        else:
            raw = body.encode("utf-8", "surrogatepass")
            if encoding == "base64-invalid-utf8":
                raw += b"\xff\xfe"
            event.update(body=base64.b64encode(raw).decode("ascii"), isBase64Encoded=True)
    authorizer = draw(authorizers)
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    if not submission:
        # Parts a hand-made event (a direct invoke shaped like an HTTP request) may get wrong.
        parts = [
            "headers",
            "rawPath",
            "rawQueryString",
            "isBase64Encoded",
            "cookies",
            "queryStringParameters",
            "pathParameters",
            "body",
        ]
        for name in draw(st.sets(st.sampled_from(parts), max_size=2)):
            event[name] = draw(any_json)
    return event


non_http_events = st.one_of(
    any_json,
    st.fixed_dictionaries(
        {"version": st.one_of(st.just("2.0"), any_json)},
        optional={
            "requestContext": st.one_of(any_json, st.fixed_dictionaries({"http": any_json})),
            "body": any_json,
        },
    ),
    st.builds(lambda body: http_event("POST", "/jobs", body) | {"version": "1.0"}, request_bodies),
)


# -- the property -----------------------------------------------------------------------------------------


def call(event: Any) -> dict[str, Any]:
    return producer.handler(
        event, FakeLambdaContext(timeout_seconds=10, function_name="bedrock-jobs-producer")
    )


def request_document(event: dict[str, Any]) -> Any:
    """The ``document`` the request carried, decoded as a client would have meant it."""
    body = event["body"]
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    return json.loads(body)["document"]


def check_outcome(aws: AwsResources, event: Any, response: Any) -> None:
    assert isinstance(response, dict), response
    status = response["statusCode"]
    answer = json.loads(response["body"])
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    assert headers.get("content-type", "").startswith("application/json"), response
    assert status == 202 or 400 <= status < 500, (status, answer)
    hypothesis.event(f"status {status}")
    items = table_items(aws)
    if status != 202:
        assert isinstance(answer.get("error"), str) and answer["error"], answer
        assert items == {}, f"a {status} stored a job: {items}"
        assert queue_counts(aws) == (0, 0), f"a {status} enqueued a message"
        assert bucket_objects(aws, aws.payload_bucket) == {}, f"a {status} stored a document"
        return
    job_id = answer["job_id"]
    assert answer["status"] == "pending"
    assert set(items) == {job_id}
    job = items[job_id]
    assert job["status"] == "pending" and job.get("enqueued_at"), job
    messages = take_messages(aws, aws.queue_url)
    assert len(messages) == 1, messages
    body = json.loads(messages[0]["Body"])
    assert body["job_id"] == job_id
    assert messages[0]["MessageAttributes"]["job_id"]["StringValue"] == job_id
    documents = bucket_objects(aws, aws.payload_bucket)
    if job.get("document_uri"):
        assert body.get("document_uri") == job["document_uri"] and "document" not in body
        key = job["document_uri"].split("/", 3)[3]
        assert set(documents) == {key}
        document = documents[key].decode("utf-8")
    else:
        assert documents == {}
        document = body["document"]
    assert document == request_document(event)
    # What this 202 stored goes, so the next example starts empty (the message was taken above).
    aws.client("dynamodb").delete_item(TableName=aws.table, Key={"job_id": {"S": job_id}})
    for key in documents:
        aws.client("s3").delete_object(Bucket=aws.payload_bucket, Key=key)


def submit_and_check(aws: AwsResources, event: Any) -> dict[str, Any]:
    response = call(event)
    try:
        check_outcome(aws, event, response)
    except BaseException:
        empty_everything(aws)  # a failing example must not fail the next one, or shrinking goes astray
        raise
    return response


@examples(80)
@given(body=request_bodies)
def test_any_request_body_gets_a_job_or_a_4xx_that_stores_nothing(aws_env: AwsResources, body: str) -> None:
    submit_and_check(aws_env, http_event("POST", "/jobs", body))


@examples(80)
@given(event=http_events())
def test_any_http_event_gets_a_job_or_a_4xx_that_stores_nothing(
    aws_env: AwsResources, event: dict[str, Any]
) -> None:
    submit_and_check(aws_env, event)


@examples(30)
@given(event=non_http_events)
def test_any_other_event_gets_the_error_shape_and_stores_nothing(aws_env: AwsResources, event: Any) -> None:
    response = submit_and_check(aws_env, event)
    if not producer._is_http_request(event):
        assert json.loads(response["body"]) == {"error": producer.NOT_HTTP_MESSAGE}
