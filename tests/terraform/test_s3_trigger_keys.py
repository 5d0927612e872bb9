"""S3 upload trigger: an object key reaches the job as the same S3 key whichever way the event arrives
(through the module's input transformer, or as a raw EventBridge event on the queue), and the
transformer's message is valid JSON for any key.

S3 URL-encodes object keys in its event notifications ("red flower.jpg" → "red+flower.jpg", S3 User
Guide "Event message structure"); the consumer decodes them in one place (messages.py).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

import pytest
from bedrock_jobs.errors import PermanentJobError
from bedrock_jobs.messages import parse_job_message
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.eventbridge import render_input_template
from tests.terraform.plan_helpers import copy_repo
from tests.terraform_offline import OfflineTerraform

pytestmark = pytest.mark.terraform

KEYS = [
    "incoming/Q1 summary.txt",
    "incoming/c++ notes.txt",
    "incoming/été/naïve résumé.txt",
    'incoming/"quoted" \\ back\\slash.txt',
    "incoming/100% & more;=,?.txt",
]


@pytest.fixture(scope="module")
def s3_target(
    offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    work = copy_repo(tmp_path_factory.mktemp("s3-trigger") / "repo")
    offline_terraform.init(work)
    plan = offline_terraform.plan_json(
        work, ["-lock=false", "-var=s3_trigger_enabled=true", "-var=s3_trigger_task=classify"]
    )
    (target,) = [
        c for c in plan["resource_changes"] if c["address"] == "aws_cloudwatch_event_target.s3_trigger[0]"
    ]
    return target["change"]["after"]["input_transformer"][0]


def _s3_event(key_in_event: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "111122223333",
        "time": "2026-12-01T00:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:s3:::jobs-inbox"],
        "detail": {
            "version": "0",
            "bucket": {"name": "jobs-inbox"},
            "object": {"key": key_in_event, "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184"},
            "reason": "PutObject",
        },
    }


def _via_transformer(target: dict[str, Any], event: dict[str, Any]) -> str:
    return render_input_template(target["input_template"], target["input_paths"], event)


@pytest.mark.parametrize("key", KEYS)
def test_encoded_keys_become_the_object_key(s3_target: dict[str, Any], key: str) -> None:
    event = _s3_event(quote_plus(key, safe="/"))
    transformed = parse_job_message(_via_transformer(s3_target, event), default_task="summarize")
    raw = parse_job_message(json.dumps(event), default_task="summarize")
    assert transformed.document_uri == raw.document_uri == f"s3://jobs-inbox/{key}"
    assert transformed.job_id == raw.job_id == event["id"]
    assert transformed.task == "classify"


@settings(max_examples=200, deadline=None)
@given(key=st.text(min_size=1, max_size=200).filter(lambda k: "\x00" not in k))
def test_any_key_gives_valid_json_and_agrees_with_the_raw_event_path(
    s3_target: dict[str, Any], key: str
) -> None:
    # Whatever the key's encoding, the transformer's output is JSON and both paths agree.
    event = _s3_event(key)
    body = _via_transformer(s3_target, event)
    assert json.loads(body)["detail"]["object"]["key"] == key
    assert _outcome(body) == _outcome(json.dumps(event))


def _outcome(body: str) -> str:
    """The job's document URI, or the reason the message is refused (the same for both paths)."""
    try:
        return parse_job_message(body, default_task="summarize").document_uri or ""
    except PermanentJobError as exc:
        return f"refused: {exc}"


def test_transformer_emulation_breaks_a_quoted_placeholder() -> None:
    # The emulation is faithful where it matters: a key inside quotes is inserted unescaped.
    body = render_input_template('{"uri": "s3://b/<key>"}', {"key": "$.detail.object.key"}, _s3_event('a"b'))
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
