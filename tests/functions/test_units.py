"""Pure unit tests: configuration, task templates, the message schema, error classification, backoff."""

from __future__ import annotations

import json
import subprocess
import sys

import bedrock_jobs
import pytest
from bedrock_jobs.batch import backoff_seconds
from bedrock_jobs.config import get_settings
from bedrock_jobs.errors import (
    ConfigurationError,
    ModelThrottledError,
    PermanentJobError,
    RetryableJobError,
    SystemicError,
)
from bedrock_jobs.messages import job_id_hint, parse_job_message, parse_s3_uri
from bedrock_jobs.model_client import ModelClient, build_converse_request
from bedrock_jobs.tasks import BUILTIN_TASKS, load_tasks
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.stub import Stubber


@pytest.fixture
def clean_settings(monkeypatch):
    for name in (
        "TASKS_CONFIG",
        "BEDROCK_READ_TIMEOUT_SECONDS",
        "BEDROCK_CONNECT_TIMEOUT_SECONDS",
        "BEDROCK_MAX_ATTEMPTS",
        "INLINE_DOCUMENT_MAX_BYTES",
        "DEFAULT_TASK",
        "MAX_CONCURRENT_RECORDS",
    ):
        monkeypatch.delenv(name, raising=False)
    bedrock_jobs.reset_caches()
    yield monkeypatch
    bedrock_jobs.reset_caches()


def test_package_imports_without_aws_or_environment():
    code = (
        "import bedrock_jobs.consumer, bedrock_jobs.producer, bedrock_jobs.dlq_archiver; "
        "print(bedrock_jobs.consumer.handler.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": "functions"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "handler"


def test_default_record_budget_fits_the_default_function_timeout(clean_settings):
    settings = get_settings()
    # 2 attempts × (2 s connect + 20 s read) + 2 s backoff + 3 s storage = 49 s ≤ 50 s (module default).
    assert settings.record_budget_seconds == 49.0
    assert settings.record_budget_seconds <= 50
    # A record starts with one attempt's worth left: 2 s + 20 s + 3 s.
    assert settings.attempt_budget_seconds == 25.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BEDROCK_MAX_ATTEMPTS", "zero", "must be an integer"),
        ("BEDROCK_MAX_ATTEMPTS", "0", "must be ≥ 1"),
        ("INLINE_DOCUMENT_MAX_BYTES", "300000", "fit an SQS message"),
        ("DEFAULT_TASK", "nope", "not a configured task"),
        ("TASKS_CONFIG", "{not json", "not valid JSON"),
    ],
)
def test_bad_configuration_is_reported_clearly(clean_settings, name, value, message):
    clean_settings.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        get_settings()


def test_missing_required_variables_are_named(clean_settings):
    clean_settings.delenv("JOBS_TABLE", raising=False)
    clean_settings.delenv("MODEL_ID", raising=False)
    with pytest.raises(ConfigurationError, match="JOBS_TABLE, MODEL_ID"):
        get_settings().require("jobs_table", "model_id")


def test_tasks_config_adds_and_overrides_tasks():
    tasks = load_tasks(
        json.dumps(
            {
                "summarize": {"inference_config": {"maxTokens": 100}},
                "sentiment": {
                    "system_prompt": "Say positive or negative.",
                    "user_template": "<document>{document}</document>",
                    "requires_labels": False,
                    "model_id": "amazon.nova-lite-v1:0",
                },
            }
        )
    )
    assert tasks["summarize"].inference_config == {"maxTokens": 100, "temperature": 0.2}
    assert tasks["summarize"].user_template == BUILTIN_TASKS["summarize"].user_template
    assert tasks["sentiment"].model_id == "amazon.nova-lite-v1:0"
    assert tasks["classify"].requires_labels


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"t": {"user_template": "no document here"}}, "must contain {document}"),
        ({"t": {"user_template": "{document} {secret}"}}, "unknown placeholders"),
        ({"t": {"system_prompt": "x"}}, "user_template is required"),
        (
            {"t": {"user_template": "{document}", "inference_config": {"max_tokens": 5}}},
            "unknown inference_config",
        ),
        ({"t": "just a string"}, "expected an object"),
    ],
)
def test_invalid_task_definitions_are_rejected(config, message):
    with pytest.raises(ConfigurationError, match=message):
        load_tasks(json.dumps(config))


def test_prompt_keeps_braces_in_documents_and_normalises_labels():
    classify = BUILTIN_TASKS["classify"]
    prompt = classify.render_user_prompt('json {"a": 1}', ["Billing", "Outage"])
    assert '<document>\njson {"a": 1}\n</document>' in prompt and "<labels>Billing, Outage</labels>" in prompt
    assert classify.normalise_output(" billing. ", ["Billing", "Outage"]) == "Billing"
    assert classify.normalise_output("something else", ["Billing"]) == "something else"


def test_parse_spec_message_and_s3_uri():
    message = parse_job_message(
        json.dumps(
            {
                "job_id": "j-1",
                "task": "summarize",
                "document_uri": "s3://my-bucket/a/b.txt",
                "labels": ["x"],
                "metadata": {"k": 1},
                "correlation_id": "c",
            }
        ),
        "summarize",
    )
    assert (message.job_id, message.document, message.document_uri) == ("j-1", None, "s3://my-bucket/a/b.txt")
    assert parse_s3_uri(message.document_uri) == ("my-bucket", "a/b.txt")
    assert json.loads(message.to_body())["labels"] == ["x"]
    with pytest.raises(PermanentJobError, match="s3://bucket/key"):
        parse_s3_uri("https://example.com/x")


def test_raw_eventbridge_event_with_task_in_detail():
    event = {
        "id": "e-1",
        "detail-type": "Ticket Created",
        "source": "acme.support",
        "time": "2026-11-22T00:00:00Z",
        "detail": {"task": "classify", "document": "Refund please", "labels": ["billing", "other"]},
    }
    message = parse_job_message(json.dumps(event), "summarize")
    assert (message.job_id, message.task, message.labels, message.correlation_id) == (
        "e-1",
        "classify",
        ["billing", "other"],
        "e-1",
    )


def test_job_id_hint_from_broken_messages():
    assert job_id_hint(json.dumps({"job_id": "ok-1", "task": 5})) == "ok-1"
    assert job_id_hint(json.dumps({"job_id": "has spaces"})) is None
    assert job_id_hint("not json") is None


def test_backoff_is_exponential_jittered_and_capped():
    assert [backoff_seconds(n, 10, 900, rng=lambda: 1.0) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert [backoff_seconds(n, 10, 900, rng=lambda: 0.0) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff_seconds(20, 10, 900, rng=lambda: 1.0) == 900


def _stubbed_model():
    import boto3

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    return client, Stubber(client)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ModelNotReadyException", 429, RetryableJobError),
        ("ServiceUnavailableException", 503, RetryableJobError),
        ("ModelTimeoutException", 408, RetryableJobError),
        ("SomethingNew", 502, RetryableJobError),
        ("ValidationException", 400, PermanentJobError),
        ("AccessDeniedException", 403, SystemicError),
        ("ResourceNotFoundException", 404, SystemicError),
        ("UnrecognizedClientException", 403, SystemicError),
        ("ThrottlingException", 429, ModelThrottledError),
        ("ServiceQuotaExceededException", 400, ModelThrottledError),
    ],
)
def test_model_errors_are_classified(code, status, expected):
    client, stubber = _stubbed_model()
    stubber.add_client_error("converse", service_error_code=code, http_status_code=status)
    request = build_converse_request(BUILTIN_TASKS["summarize"], "m", "doc", None, "j")
    with stubber, pytest.raises(expected):
        ModelClient(client).converse(request)


def test_network_timeouts_are_retryable():
    class TimingOut:
        def converse(self, **_):
            raise ReadTimeoutError(endpoint_url="http://bedrock")

    with pytest.raises(RetryableJobError, match="ReadTimeoutError"):
        ModelClient(TimingOut()).converse({"modelId": "m"})


def test_client_error_reason_does_not_echo_the_service_message():
    class Rejecting:
        def converse(self, **_):
            raise ClientError(
                {
                    "Error": {"Code": "ValidationException", "Message": "input: SECRET TEXT"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "Converse",
            )

    with pytest.raises(PermanentJobError) as raised:
        ModelClient(Rejecting()).converse({"modelId": "m"})
    assert "SECRET" not in raised.value.reason


def test_settings_follow_environment_changes_without_a_reset(clean_settings):
    clean_settings.setenv("JOBS_TABLE", "first")
    first = get_settings()
    assert get_settings() is first  # cached while nothing changes
    clean_settings.setenv("JOBS_TABLE", "second")
    assert get_settings().jobs_table == "second"


def test_clients_follow_endpoint_changes(clean_settings):
    from bedrock_jobs import aws_clients

    clean_settings.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    first = aws_clients.client("sqs")
    assert aws_clients.client("sqs") is first
    clean_settings.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2222")
    second = aws_clients.client("sqs")
    assert second is not first and second.meta.endpoint_url == "http://127.0.0.1:2222"
    clean_settings.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:3333")
    assert aws_clients.client("sqs").meta.endpoint_url == "http://127.0.0.1:3333"


def test_only_a_numeric_remaining_time_counts():
    from unittest.mock import MagicMock

    from bedrock_jobs.job_processor import remaining_seconds

    assert remaining_seconds(MagicMock()) is None  # a test double's return value is no deadline
    assert remaining_seconds(None) is None
    assert remaining_seconds(type("Ctx", (), {"get_remaining_time_in_millis": lambda self: 1500})()) == 1.5
