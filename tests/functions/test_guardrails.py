"""Bedrock Guardrails in the consumer, through the handler with moto and the fake Bedrock runtime.

The fake intervenes only when the request carries a ``guardrailConfig`` *and* the document holds its
marker, and it checks that config as Converse does; so a job whose document holds the marker and that
completes proves no guardrail was sent, and one that fails with the guardrail's reason proves it was.
"""

from __future__ import annotations

import json

import boto3
import pytest
from bedrock_jobs.config import get_settings
from bedrock_jobs.errors import ConfigurationError
from bedrock_jobs.model_client import build_converse_request
from bedrock_jobs.tasks import BUILTIN_TASKS, Guardrail, load_tasks
from botocore.exceptions import ClientError

from tests.conftest import REGION
from tests.support.jobs import job_body, queue_counts, run_consumer, send, set_env
from tests.support.metrics import metric_total

MARKER = "GUARDRAIL-BLOCK"
BLOCKED = f"Tell me everything. {MARKER} Then summarise."
TASKS = {
    # A task with its own guardrail (an ARN, as another account's would be named).
    "legal": {
        "user_template": "Review this contract.\n<document>\n{document}\n</document>",
        "guardrail_id": "arn:aws:bedrock:eu-west-1:210987654321:guardrail/legalguard9",
        "guardrail_version": "2",
    },
    # A built-in task with the deployment's guardrail turned off.
    "classify": {"guardrail_id": "none"},
}


@pytest.fixture
def guarded(aws_env, monkeypatch):
    set_env(monkeypatch, GUARDRAIL_ID="abc123guard", GUARDRAIL_VERSION="3", TASKS_CONFIG=json.dumps(TASKS))
    return aws_env


# -- the request ------------------------------------------------------------------------------------
def test_the_request_carries_the_guardrail_config_only_when_a_guardrail_applies():
    task = BUILTIN_TASKS["summarize"]
    with_guardrail = build_converse_request(task, "m", "doc", None, "j1", Guardrail("abc123guard", "DRAFT"))
    assert with_guardrail["guardrailConfig"] == {
        "guardrailIdentifier": "abc123guard",
        "guardrailVersion": "DRAFT",
        "trace": "disabled",
    }
    assert "guardrailConfig" not in build_converse_request(task, "m", "doc", None, "j1")


def test_settings_resolve_the_default_the_task_override_and_none(guarded):
    settings = get_settings()
    assert settings.guardrail_for(settings.tasks["summarize"]) == Guardrail("abc123guard", "3")
    assert settings.guardrail_for(settings.tasks["legal"]) == Guardrail(
        "arn:aws:bedrock:eu-west-1:210987654321:guardrail/legalguard9", "2"
    )
    assert settings.guardrail_for(settings.tasks["classify"]) is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"t": {"user_template": "{document}", "guardrail_id": "abc"}}, "needs a guardrail_version"),
        ({"t": {"user_template": "{document}", "guardrail_version": "1"}}, "needs a guardrail_id"),
        (
            {"t": {"user_template": "{document}", "guardrail_id": "none", "guardrail_version": "1"}},
            "takes no",
        ),
        ({"t": {"user_template": "{document}", "guardrail_id": "Bad_Id", "guardrail_version": "1"}}, "not a"),
        ({"t": {"user_template": "{document}", "guardrail_id": "abc", "guardrail_version": "0"}}, "DRAFT or"),
    ],
)
def test_bad_task_guardrails_are_configuration_errors(config, message):
    with pytest.raises(ConfigurationError, match=message):
        load_tasks(json.dumps(config))


def test_guardrail_id_without_version_is_a_configuration_error(aws_env, monkeypatch):
    set_env(monkeypatch, GUARDRAIL_ID="abc123guard")
    with pytest.raises(ConfigurationError, match="set together"):
        get_settings()


# -- through the handler ----------------------------------------------------------------------------
def test_intervention_fails_archives_announces_counts_and_is_not_retried(guarded, fake_bedrock, capsys):
    message_id = send(guarded, job_body("blocked", BLOCKED))
    response, _ = run_consumer(guarded)
    assert response["batchItemFailures"] == []  # not retried
    assert queue_counts(guarded) == (0, 0) and queue_counts(guarded, "dlq") == (0, 0)
    [call] = fake_bedrock.calls_for("blocked")
    assert call.outcome == "guardrail"
    reason = "guardrail abc123guard:3 intervened (model stopped: guardrail_intervened)"
    job = guarded.job("blocked")
    assert job["status"] == "failed" and job["error"] == reason
    assert "result" not in job  # the guardrail's blocked message is not an answer
    [archived] = guarded.archived()
    assert archived["message_id"] == message_id and archived["reason"] == reason
    assert job["archive_uri"] == f"s3://{guarded.archive_bucket}/{archived['_key']}"
    notices = guarded.published(guarded.results_inbox_url)
    assert [(n["job_id"], n["event"], n["error"]) for n in notices] == [("blocked", "job.failed", reason)]
    assert guarded.published(guarded.alerts_inbox_url) == []  # no page per job
    out = capsys.readouterr().out
    assert metric_total(out, "GuardrailInterventions") == 1
    assert metric_total(out, "JobsFailedOnInput", reason_kind="guardrail") == 1
    [emf] = [json.loads(line) for line in out.splitlines() if '"GuardrailInterventions"' in line]
    assert (emf["guardrail"], emf["task"]) == ("abc123guard:3", "summarize")
    # Document contents are never logged: not in any log line or metric document.
    assert MARKER not in out


def test_a_clean_document_completes_under_the_guardrail(guarded, fake_bedrock, capsys):
    send(guarded, job_body("clean", "The printer is on fire. Please send help."))
    response, _ = run_consumer(guarded)
    assert response["batchItemFailures"] == []
    job = guarded.job("clean")
    assert job["status"] == "complete" and job["result"] == "The printer is on fire. Please send help."
    assert metric_total(capsys.readouterr().out, "GuardrailInterventions") == 0


def test_task_override_names_its_own_guardrail_and_none_sends_none(guarded, fake_bedrock):
    send(guarded, job_body("legal-1", BLOCKED, task="legal"))
    send(guarded, job_body("free-1", f"A bug report. {MARKER}", task="classify", labels=["bug", "other"]))
    run_consumer(guarded)
    legal = guarded.job("legal-1")
    assert legal["status"] == "failed"
    assert legal["error"] == "guardrail legalguard9:2 intervened (model stopped: guardrail_intervened)"
    # "none": the marker reaches the model without a guardrailConfig, so nothing intervenes.
    free = guarded.job("free-1")
    assert free["status"] == "complete" and free["result"] == "bug"
    assert [c.outcome for c in fake_bedrock.calls_for("free-1")] == ["ok"]


def test_without_a_guardrail_the_marker_does_nothing(aws_env, fake_bedrock):
    send(aws_env, job_body("plain", BLOCKED))
    run_consumer(aws_env)
    assert aws_env.job("plain")["status"] == "complete"


def test_a_model_stop_without_guardrail_keeps_the_model_reason(aws_env, fake_bedrock, capsys):
    fake_bedrock.push_script("guardrail")  # e.g. an account-level enforced guardrail
    send(aws_env, job_body("enforced", "Some document."))
    run_consumer(aws_env)
    assert aws_env.job("enforced")["error"] == "model stopped: guardrail_intervened"
    out = capsys.readouterr().out
    [emf] = [json.loads(line) for line in out.splitlines() if '"GuardrailInterventions"' in line]
    assert emf["guardrail"] == "none" and emf["GuardrailInterventions"] == [1.0]


# -- the fake checks guardrailConfig as Converse does -----------------------------------------------
@pytest.mark.parametrize(
    "config",
    [
        {"guardrailIdentifier": "abc123"},  # no version
        {"guardrailIdentifier": "Not_Valid", "guardrailVersion": "1"},
        {"guardrailIdentifier": "abc123", "guardrailVersion": "v1"},
        {"guardrailIdentifier": "abc123", "guardrailVersion": "1", "trace": "verbose"},
        {"guardrailIdentifier": "arn:aws:bedrock:eu-west-1:1234:guardrail/abc", "guardrailVersion": "1"},
    ],
)
def test_fake_refuses_a_guardrail_config_converse_would_refuse(fake_bedrock, config):
    client = boto3.client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=fake_bedrock.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    request = {"modelId": "m", "messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    with pytest.raises(ClientError) as caught:
        client.converse(**request, guardrailConfig=config)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    ok = client.converse(
        **request, guardrailConfig={"guardrailIdentifier": "abc123", "guardrailVersion": "DRAFT"}
    )
    assert ok["stopReason"] == "end_turn"


# -- batch mode ---------------------------------------------------------------------------------------
def test_batch_records_never_carry_a_guardrail_and_guarded_tasks_are_realtime_only(guarded):
    from bedrock_jobs.batch_inference import model_input, realtime_only_reason

    settings = get_settings()
    assert "guardrailConfig" not in model_input(settings.tasks["summarize"], "doc", None, "j1")
    reason = realtime_only_reason(settings, settings.tasks["summarize"])
    assert reason == "task 'summarize' has guardrail abc123guard:3; batch inference applies no guardrail"
    assert realtime_only_reason(settings, settings.tasks["classify"]) is None
