"""The local runner reads the module's defaults from variables.tf, and creates exactly what they say.

The drift tests at the bottom read the real root module: change a default (or the formula that derives
one) in the Terraform and these fail until the local runner agrees.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from bedrock_jobs_local.embedded_aws import BATCH_MAX_RECEIVE_COUNT, EmbeddedAws
from bedrock_jobs_local.module_defaults import (
    VARIABLE_NAMES,
    ModuleDefaults,
    ModuleDefaultsError,
    _unwrap,
    defaults_from_text,
    derive_visibility_timeout,
    find_module_dir,
    load_module_defaults,
)
from bedrock_jobs_local.settings import LocalSettings

FIXTURE = Path(__file__).parent / "fixtures" / "variables.tf"
REPO = Path(__file__).resolve().parents[2]


# -- the reader, on a fixture ------------------------------------------------------------------------
def test_reads_the_contract_defaults_from_hcl():
    defaults = load_module_defaults(FIXTURE.parent)
    assert defaults.consumer_timeout == 50
    assert defaults.consumer_memory_size == 512
    assert defaults.consumer_batch_size == 10
    assert defaults.consumer_maximum_batching_window_in_seconds == 5
    assert defaults.consumer_maximum_concurrency == 50
    assert defaults.consumer_max_concurrent_records == 10
    assert defaults.queue_max_receive_count == 3
    assert defaults.queue_visibility_timeout_seconds is None
    assert defaults.queue_message_retention_seconds == 1_209_600
    assert defaults.dlq_message_retention_seconds == 1_209_600
    assert defaults.archiver_timeout == 30
    assert defaults.archiver_batch_size == 10
    assert defaults.producer_timeout == 10


def test_a_null_visibility_timeout_is_derived_like_the_module():
    defaults = load_module_defaults(FIXTURE.parent)
    assert defaults.effective_visibility_timeout == 6 * 50 + 5 == 305


def test_an_explicit_visibility_timeout_wins():
    text = FIXTURE.read_text().replace("default     = null", "default     = 400")
    assert defaults_from_text(text).effective_visibility_timeout == 400


def test_optional_variables_fall_back_to_the_package_defaults():
    defaults = load_module_defaults(FIXTURE.parent)  # the fixture declares none of them
    assert defaults.archiver_maximum_concurrency == 2
    assert defaults.consumer_retry_base_delay_seconds == 10


@pytest.mark.parametrize("name", ["consumer_timeout", "queue_max_receive_count", "archiver_batch_size"])
def test_a_missing_variable_is_named(name):
    text = re.sub(rf'variable "{name}" {{.*?\n}}\n', "", FIXTURE.read_text(), flags=re.DOTALL)
    with pytest.raises(ModuleDefaultsError, match=name):
        defaults_from_text(text)


def test_a_null_default_is_only_accepted_where_the_module_derives_one():
    text = FIXTURE.read_text().replace("default = 512", "default = null")
    with pytest.raises(ModuleDefaultsError, match="consumer_memory_size: default is null"):
        defaults_from_text(text)


def test_a_fractional_default_is_rejected():
    text = FIXTURE.read_text().replace("default = 512", "default = 512.5")
    with pytest.raises(ModuleDefaultsError, match="consumer_memory_size"):
        defaults_from_text(text)


@pytest.mark.parametrize(
    ("raw", "wrapped", "expected"),
    [
        ([50], True, 50),
        (50, False, 50),
        ([None], True, None),
        ("${null}", False, None),
        ([[1, 2]], True, [1, 2]),
        ('"text"', False, "text"),  # python-hcl2 8 keeps the quotes
        (["text"], True, "text"),
    ],
)
def test_both_hcl2_output_shapes_are_understood(raw, wrapped, expected):
    assert _unwrap(raw, wrapped) == expected


def test_the_module_directory_can_be_overridden(monkeypatch):
    monkeypatch.setenv("BEDROCK_JOBS_MODULE_DIR", str(FIXTURE.parent))
    assert find_module_dir() == FIXTURE.parent


# -- time scaling ------------------------------------------------------------------------------------
def test_time_scale_one_is_the_module_unchanged():
    defaults = load_module_defaults(FIXTURE.parent)
    settings = LocalSettings(defaults, time_scale=1)
    assert settings.queues.visibility_timeout == 305
    assert settings.queues.dlq_visibility_timeout == 180
    assert settings.consumer_mapping.maximum_batching_window_seconds == 5
    assert settings.retry_base_delay_seconds == 10
    assert settings.retry_max_delay_seconds == 900


def test_time_scale_shortens_waits_but_keeps_counts_and_function_timeouts():
    defaults = load_module_defaults(FIXTURE.parent)
    settings = LocalSettings(defaults, time_scale=10)
    assert settings.queues.visibility_timeout == 31  # ceil(305 / 10): never rounds a timeout away
    assert settings.queues.max_receive_count == 3
    assert settings.consumer_mapping.maximum_batching_window_seconds == 0.5
    assert settings.consumer_mapping.batch_size == 10
    assert settings.consumer_mapping.maximum_concurrency == 50
    assert settings.retry_base_delay_seconds == 1
    environment = settings.function_environment()
    assert environment["JOB_LEASE_SECONDS"] == "80"  # function timeout + 30, not scaled
    assert environment["RETRY_BASE_DELAY_SECONDS"] == "1"


# -- drift: the real module ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def module_defaults() -> ModuleDefaults:
    assert (REPO / "variables.tf").is_file(), "the root module's variables.tf is missing"
    return load_module_defaults(REPO)


def test_the_root_module_declares_every_variable_the_runner_reads(module_defaults):
    assert Path(module_defaults.source) == REPO / "variables.tf"
    for name in VARIABLE_NAMES:
        assert hasattr(module_defaults, name)


def _assignment(path: Path, name: str) -> str:
    """The right-hand side of ``name = …`` in a .tf file, whitespace-normalised."""
    match = re.search(rf"^\s*{name}\s*=\s*(.+?)\s*$", path.read_text(), flags=re.MULTILINE)
    assert match, f"{name} not assigned in {path}"
    return " ".join(match.group(1).split())


def test_derived_values_use_the_modules_formulas():
    # If one of these fails, the module changed how it derives a value: update module_defaults.py.
    assert _assignment(REPO / "modules/queue/main.tf", "derived_visibility_timeout_seconds") == (
        "6 * var.consumer_timeout_seconds + var.consumer_maximum_batching_window_in_seconds"
    )
    assert derive_visibility_timeout(50, 5) == 305
    assert _assignment(REPO / "main.tf", "dlq_visibility_timeout_seconds") == "6 * var.archiver_timeout"
    assert _assignment(REPO / "functions.tf", "job_lease_seconds") == "var.consumer_timeout + 30"


def test_embedded_aws_creates_what_the_module_declares(module_defaults, aws: EmbeddedAws):
    settings = LocalSettings(module_defaults, time_scale=1)
    resources = aws.create_resources(f"drift-{uuid.uuid4().hex[:8]}", settings.queues)
    sqs = aws.client("sqs")
    main = sqs.get_queue_attributes(QueueUrl=resources.queue_url, AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=resources.dlq_url, AttributeNames=["All"])["Attributes"]

    assert int(main["VisibilityTimeout"]) == module_defaults.effective_visibility_timeout
    assert int(main["MessageRetentionPeriod"]) == module_defaults.queue_message_retention_seconds
    redrive = json.loads(main["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == module_defaults.queue_max_receive_count
    assert redrive["deadLetterTargetArn"] == resources.dlq_arn
    assert int(dlq["MessageRetentionPeriod"]) == module_defaults.dlq_message_retention_seconds
    assert int(dlq["VisibilityTimeout"]) == 6 * module_defaults.archiver_timeout
    # The DLQ's RedriveAllowPolicy is set too, but moto neither stores nor enforces it.

    table = aws.client("dynamodb").describe_table(TableName=resources.jobs_table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "job_id", "KeyType": "HASH"}]


def test_the_mappings_and_functions_use_the_module_defaults(module_defaults):
    settings = LocalSettings(module_defaults, time_scale=1)
    consumer = settings.consumer_mapping
    assert consumer.batch_size == module_defaults.consumer_batch_size
    assert (
        consumer.maximum_batching_window_seconds
        == module_defaults.consumer_maximum_batching_window_in_seconds
    )
    assert consumer.maximum_concurrency == module_defaults.consumer_maximum_concurrency
    assert consumer.report_batch_item_failures
    archiver = settings.archiver_mapping
    assert archiver.batch_size == module_defaults.archiver_batch_size
    assert archiver.maximum_concurrency == module_defaults.archiver_maximum_concurrency
    environment = settings.function_environment()
    assert environment["MAX_CONCURRENT_RECORDS"] == str(module_defaults.consumer_max_concurrent_records)
    assert environment["JOB_LEASE_SECONDS"] == str(module_defaults.consumer_timeout + 30)
    assert environment["RETRY_BASE_DELAY_SECONDS"] == str(module_defaults.consumer_retry_base_delay_seconds)
    assert environment["BEDROCK_MAX_ATTEMPTS"] == str(module_defaults.consumer_bedrock_max_attempts)


def test_the_child_process_server_behaves_like_moto(module_defaults):
    # The child applies performance patches to moto; SQS semantics the pipeline relies on must hold.
    settings = LocalSettings(module_defaults, time_scale=100)
    with EmbeddedAws(mode="process") as embedded:
        resources = embedded.create_resources("child", settings.queues)
        sqs = embedded.client("sqs")
        sqs.send_message(QueueUrl=resources.queue_url, MessageBody="m")
        receive = {
            "QueueUrl": resources.queue_url,
            "MessageSystemAttributeNames": ["All"],
            "WaitTimeSeconds": 0,
        }
        first = sqs.receive_message(**receive)["Messages"]
        assert sqs.receive_message(**receive).get("Messages") is None  # in flight, invisible
        sqs.change_message_visibility(
            QueueUrl=resources.queue_url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0
        )
        again = sqs.receive_message(**receive)["Messages"]
        assert again[0]["MessageId"] == first[0]["MessageId"]
        assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
        process = embedded._process
    assert process is not None and process.poll() is not None


def test_the_batch_queue_is_created_as_batch_tf_declares_it(module_defaults, aws: EmbeddedAws):
    # If one of these fails, batch.tf changed the batch queue: update embedded_aws.create_batch_queue.
    assert _assignment(REPO / "batch.tf", "consumer_timeout_seconds") == "var.batch_submitter_timeout"
    assert _assignment(REPO / "batch.tf", "max_receive_count") == str(BATCH_MAX_RECEIVE_COUNT)
    assert _assignment(REPO / "batch.tf", "message_retention_seconds") == (
        "var.batch_queue_message_retention_seconds"
    )
    settings = LocalSettings(module_defaults, time_scale=1)
    queue_url, dlq_url = aws.create_batch_queue(
        f"drift-{uuid.uuid4().hex[:8]}",
        settings.batch_queue_visibility_timeout,
        module_defaults.batch_queue_message_retention_seconds,
    )
    sqs = aws.client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (
        int(queue["VisibilityTimeout"]) == 6 * module_defaults.batch_submitter_timeout
    )  # no batching window
    assert int(queue["MessageRetentionPeriod"]) == module_defaults.batch_queue_message_retention_seconds
    redrive = json.loads(queue["RedrivePolicy"])
    assert (redrive["maxReceiveCount"], redrive["deadLetterTargetArn"]) == (
        BATCH_MAX_RECEIVE_COUNT,
        aws.queue_arn(dlq_url),
    )
    assert module_defaults.batch_min_records == 100 and module_defaults.model_id.startswith("global.")
