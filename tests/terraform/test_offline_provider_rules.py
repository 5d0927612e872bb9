"""Provider-side behaviours of the offline hashicorp/aws stand-in, each against a tiny throwaway
configuration: name limits at validate/plan, SQS/SNS name checks while planning, files read at
apply, names generated from prefixes, and ARNs shaped by the provider configuration's region and
account. Every rule is shown to fire on bad input and to stay quiet on good input.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.terraform_offline import OfflineTerraform, cty
from tests.terraform_offline.aws_rules import (
    UNIQUE_ID_SUFFIX_LENGTH,
    customize_diff_errors,
    go_quote,
    name_prefix_from_name,
    prefixed_unique_id,
    validate_names,
)

HEADER = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0, < 7.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
}
"""

ROLE_ARN = "arn:aws:iam::123456789012:role/fn"
# Required arguments of each type, so that only the attribute under test is wrong.
REQUIRED = {
    "aws_iam_role": 'assume_role_policy = "{}"',
    "aws_iam_policy": 'policy = "{}"',
    "aws_iam_role_policy": 'role = "r"\n  policy = "{}"',
    "aws_lambda_function": f'role = "{ROLE_ARN}"',
    "aws_lambda_permission": 'action = "lambda:InvokeFunction"\n  principal = "s3.amazonaws.com"',
    "aws_cloudwatch_event_rule": 'schedule_expression = "rate(5 minutes)"',
    "aws_cloudwatch_event_target": 'arn = "arn:aws:sqs:eu-west-1:123456789012:q"',
    "aws_cloudwatch_metric_alarm": 'comparison_operator = "GreaterThanThreshold"\n  evaluation_periods = 1',
    "aws_cloudwatch_log_group": "",
    "aws_cloudwatch_dashboard": 'dashboard_body = "{}"',
    "aws_kms_alias": 'target_key_id = "k"',
    "aws_dynamodb_table": 'hash_key = "id"\n  attribute {\n    name = "id"\n    type = "S"\n  }',
    "aws_s3_bucket": "",
    "aws_scheduler_schedule": (
        'schedule_expression = "rate(5 minutes)"\n'
        '  flexible_time_window {\n    mode = "OFF"\n  }\n'
        '  target {\n    arn      = "arn:aws:sqs:eu-west-1:123456789012:q"\n'
        f'    role_arn = "{ROLE_ARN}"\n  }}'
    ),
    "aws_sqs_queue": "",
    "aws_sns_topic": "",
}
# Arguments that are required but also under test get a default only when the case omits them.
DEFAULTS = {
    "aws_lambda_function": {"function_name": "fn"},
    "aws_lambda_permission": {"function_name": "fn"},
    "aws_cloudwatch_event_target": {"rule": "r"},
    "aws_cloudwatch_metric_alarm": {"alarm_name": "a"},
    "aws_cloudwatch_dashboard": {"dashboard_name": "d"},
    "aws_dynamodb_table": {"name": "jobs"},
}


def resource(type_: str, label: str, **attrs: Any) -> str:
    """A resource block: ``attrs`` (strings are quoted unless they start with '=') + required args."""
    values = {**DEFAULTS.get(type_, {}), **attrs}
    lines = []
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("="):
            lines.append(f"  {key} = {value[1:].strip()}")
        else:
            lines.append(f"  {key} = {json.dumps(value)}")
    extra = REQUIRED[type_]
    body = "\n".join(lines) + (f"\n  {extra}" if extra else "")
    return f'resource "{type_}" "{label}" {{\n{body}\n}}\n'


def init_config(tool: OfflineTerraform, work: Path, body: str) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf").write_text(HEADER + body)
    tool.init(work)
    return work


def diagnostics_by_address(diags: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for diag in diags:
        if diag.get("severity") == "error":
            found.setdefault(diag.get("address", ""), []).append(diag["summary"])
    return found


def validate_json(tool: OfflineTerraform, work: Path) -> dict[str, Any]:
    return json.loads(tool.run(["validate", "-json", "-no-color"], work).stdout)


def plan_diagnostics(tool: OfflineTerraform, work: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = tool.run(["plan", "-json", "-no-color", "-input=false", *args], work)
    diags = [
        json.loads(line)["diagnostic"]
        for line in result.stdout.splitlines()
        if line.startswith("{") and '"type":"diagnostic"' in line
    ]
    return result.returncode, diags


# --------------------------------------------------------------------------------------
# Name limits at validate/plan (ValidateResourceConfig)
# --------------------------------------------------------------------------------------


# (type, label, attributes, expected error summary). Labels are unique resource names.
NAME_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "aws_iam_role",
        "long_name",
        {"name": "r" * 65},
        "expected length of name to be in the range (1 - 64), got " + "r" * 65,
    ),
    ("aws_iam_role", "bad_chars", {"name": "role name!"}, r"invalid value for name (must match [\w+=,.@-])"),
    (
        "aws_iam_role",
        "long_prefix",
        {"name_prefix": "p" * 39},
        "expected length of name_prefix to be in the range (1 - 38), got " + "p" * 39,
    ),
    (
        "aws_iam_policy",
        "long_name",
        {"name": "p" * 129},
        "expected length of name to be in the range (1 - 128), got " + "p" * 129,
    ),
    (
        "aws_iam_policy",
        "long_prefix",
        {"name_prefix": "p" * 103},
        "expected length of name_prefix to be in the range (1 - 102), got " + "p" * 103,
    ),
    (
        "aws_iam_role_policy",
        "long_name",
        {"name": "p" * 129},
        "expected length of name to be in the range (1 - 128), got " + "p" * 129,
    ),
    (
        "aws_iam_role_policy",
        "long_prefix",
        {"name_prefix": "p" * 103},
        "expected length of name_prefix to be in the range (1 - 102), got " + "p" * 103,
    ),
    (
        "aws_lambda_function",
        "long_name",
        {"function_name": "f" * 65},
        "expected length of the Lambda function name to be less than or equal to 64, got "
        + "f" * 65
        + " (65 characters)",
    ),
    (
        "aws_lambda_function",
        "bad_name",
        {"function_name": "my function"},
        "invalid value for function_name (must be valid function name or function ARN)",
    ),
    (
        "aws_lambda_permission",
        "long_sid",
        {"statement_id": "s" * 101},
        "expected length of statement_id to be in the range (1 - 100), got " + "s" * 101,
    ),
    (
        "aws_lambda_permission",
        "bad_sid",
        {"statement_id": "sid.1"},
        "invalid value for statement_id (must contain alphanumeric, underscores or dashes only)",
    ),
    (
        "aws_lambda_permission",
        "long_sid_prefix",
        {"statement_id_prefix": "s" * 75},
        "expected length of statement_id_prefix to be at most 74 (AWS API limit), got " + "s" * 75,
    ),
    (
        "aws_cloudwatch_event_rule",
        "long_name",
        {"name": "e" * 65},
        f'"name" cannot be longer than 64 characters: "{"e" * 65}"',
    ),
    (
        "aws_cloudwatch_event_rule",
        "bad_name",
        {"name": "rule name"},
        '"name" doesn\'t comply with restrictions ("^[0-9A-Za-z_.-]+$"): "rule name"',
    ),
    (
        "aws_cloudwatch_event_rule",
        "long_prefix",
        {"name_prefix": "e" * 39},
        "expected length of name_prefix to be at most 38 (AWS API limit), got " + "e" * 39,
    ),
    (
        "aws_cloudwatch_event_target",
        "long_id",
        {"target_id": "t" * 65},
        f'"target_id" cannot be longer than 64 characters: "{"t" * 65}"',
    ),
    (
        "aws_cloudwatch_metric_alarm",
        "long_name",
        {"alarm_name": "a" * 256},
        "expected length of alarm_name to be in the range (1 - 255), got " + "a" * 256,
    ),
    (
        "aws_cloudwatch_log_group",
        "long_name",
        {"name": "/aws/" + "l" * 508},
        f'"name" cannot be longer than 512 characters: "/aws/{"l" * 508}"',
    ),
    (
        "aws_cloudwatch_log_group",
        "bad_name",
        {"name": "logs:x"},
        '"name" isn\'t a valid log group name (alphanumeric characters, underscores, hyphens, slashes, '
        'hash signs and dots are allowed): "logs:x"',
    ),
    (
        "aws_cloudwatch_log_group",
        "long_prefix",
        {"name_prefix": "l" * 484},
        f'"name_prefix" cannot be longer than 483 characters: "{"l" * 484}"',
    ),
    (
        "aws_cloudwatch_dashboard",
        "bad_name",
        {"dashboard_name": "my dash"},
        '"dashboard_name" doesn\'t comply with restrictions ("^[0-9A-Za-z_-]+$"): "my dash"',
    ),
    (
        "aws_cloudwatch_dashboard",
        "long_name",
        {"dashboard_name": "d" * 256},
        f'"dashboard_name" cannot be longer than 255 characters: "{"d" * 256}"',
    ),
    (
        "aws_kms_alias",
        "no_alias_prefix",
        {"name": "jobs"},
        "\"name\" must begin with 'alias/' and be comprised of only [0-9A-Za-z_/-]",
    ),
    (
        "aws_kms_alias",
        "reserved",
        {"name": "alias/aws/jobs"},
        "\"name\" cannot begin with reserved AWS CMK prefix 'alias/aws/'",
    ),
    (
        "aws_kms_alias",
        "long_name",
        {"name": "alias/" + "k" * 251},
        "expected length of name to be at most 256 (AWS API limit), got alias/" + "k" * 251,
    ),
    (
        "aws_dynamodb_table",
        "short_name",
        {"name": "ab"},
        "expected length of name to be in the range (3 - 255) (AWS API limit), got ab",
    ),
    (
        "aws_s3_bucket",
        "long_name",
        {"bucket": "b" * 64},
        "expected length of bucket to be in the range (0 - 63), got " + "b" * 64,
    ),
    (
        "aws_s3_bucket",
        "upper_case",
        {"bucket": "My-Bucket"},
        "invalid value for bucket (S3 bucket names must match ^[a-z0-9][a-z0-9.-]*[a-z0-9]$ (AWS API limit))",
    ),
    (
        "aws_s3_bucket",
        "long_prefix",
        {"bucket_prefix": "b" * 38},
        "expected length of bucket_prefix to be in the range (0 - 37), got " + "b" * 38,
    ),
    (
        "aws_scheduler_schedule",
        "long_name",
        {"name": "s" * 65},
        "expected length of name to be in the range (1 - 64), got " + "s" * 65,
    ),
    (
        "aws_scheduler_schedule",
        "long_prefix",
        {"name_prefix": "s" * 39},
        "expected length of name_prefix to be in the range (1 - 38), got " + "s" * 39,
    ),
]

# The same attributes exactly at their limits (or otherwise valid): no diagnostics.
GOOD_NAMES: list[tuple[str, str, dict[str, Any]]] = [
    ("aws_iam_role", "name64", {"name": "r" * 60 + "+=,."}),
    ("aws_iam_role", "prefix38", {"name_prefix": "p" * 37 + "@"}),
    ("aws_iam_policy", "name128", {"name": "p" * 128}),
    ("aws_iam_policy", "prefix102", {"name_prefix": "p" * 102}),
    ("aws_iam_role_policy", "name128", {"name": "p" * 128}),
    ("aws_lambda_function", "name64", {"function_name": "f" * 63 + "_"}),
    ("aws_lambda_permission", "arn", {"function_name": "arn:aws:lambda:eu-west-1:123456789012:function:fn"}),
    ("aws_lambda_permission", "sid100", {"statement_id": "s" * 99 + "-"}),
    ("aws_lambda_permission", "prefix74", {"statement_id_prefix": "s" * 74}),
    ("aws_cloudwatch_event_rule", "name64", {"name": "e" * 62 + ".-"}),
    ("aws_cloudwatch_event_rule", "prefix38", {"name_prefix": "e" * 38}),
    ("aws_cloudwatch_event_target", "id64", {"target_id": "t" * 64}),
    ("aws_cloudwatch_metric_alarm", "name255", {"alarm_name": "a" * 250 + " : /x"}),
    ("aws_cloudwatch_log_group", "name512", {"name": "/aws/lambda/#" + "l" * 499}),
    ("aws_cloudwatch_log_group", "prefix483", {"name_prefix": "l" * 483}),
    ("aws_cloudwatch_dashboard", "name255", {"dashboard_name": "d" * 254 + "-"}),
    ("aws_kms_alias", "name256", {"name": "alias/" + "k" * 250}),
    ("aws_kms_alias", "prefix", {"name_prefix": "alias/jobs-"}),
    ("aws_dynamodb_table", "name255", {"name": "t" * 253 + ".-"}),
    ("aws_s3_bucket", "name63", {"bucket": "b" * 61 + ".1"}),
    ("aws_s3_bucket", "prefix37", {"bucket_prefix": "b" * 37}),
    ("aws_scheduler_schedule", "name64", {"name": "s" * 64}),
    ("aws_scheduler_schedule", "prefix38", {"name_prefix": "s" * 38}),
    # Values known only at apply are not checked at plan (as with the real provider).
    ("aws_iam_role", "unknown", {"name": '= "${aws_sqs_queue.ok.arn}' + "r" * 70 + '"'}),
    ("aws_sqs_queue", "ok", {"name": "ok"}),
]


@pytest.fixture(scope="module")
def bad_names_report(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Any:
    body = "".join(resource(t, label, **attrs) for t, label, attrs, _ in NAME_CASES)
    work = init_config(offline_terraform, tmp_path_factory.mktemp("bad-names"), body)
    return validate_json(offline_terraform, work)


@pytest.mark.terraform
@pytest.mark.parametrize(
    ("type_", "label", "attrs", "message"), NAME_CASES, ids=[f"{t}.{label}" for t, label, _, _ in NAME_CASES]
)
def test_name_limits_fire_at_validate(
    bad_names_report: dict[str, Any], type_: str, label: str, attrs: dict[str, Any], message: str
) -> None:
    assert bad_names_report["valid"] is False
    found = diagnostics_by_address(bad_names_report["diagnostics"])
    assert message in found.get(f"{type_}.{label}", []), found.get(f"{type_}.{label}")


@pytest.mark.terraform
def test_name_limit_diagnostics_point_at_the_attribute(bad_names_report: dict[str, Any]) -> None:
    # Like SDKv2 ValidateFunc diagnostics: the attribute path makes Terraform quote the argument.
    (diag,) = [d for d in bad_names_report["diagnostics"] if d.get("address") == "aws_iam_role.long_prefix"]
    assert diag["snippet"]["code"].strip().startswith("name_prefix =")
    # API limits the provider leaves to AWS explain themselves.
    (api,) = [
        d
        for d in bad_names_report["diagnostics"]
        if d.get("address") == "aws_cloudwatch_event_rule.long_prefix"
    ]
    assert "limited to 64 characters" in api["detail"]
    assert "API_PutRule.html" in api["detail"]


@pytest.mark.terraform
def test_name_limits_pass_valid_and_unknown_values(
    offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    body = "".join(resource(t, label, **attrs) for t, label, attrs in GOOD_NAMES)
    work = init_config(offline_terraform, tmp_path, body)
    report = validate_json(offline_terraform, work)
    assert report["valid"] is True, diagnostics_by_address(report["diagnostics"])
    code, diags = plan_diagnostics(offline_terraform, work)
    assert code == 0, diags
    assert [d for d in diags if d["severity"] == "error"] == []


# --------------------------------------------------------------------------------------
# SQS/SNS name checks of CustomizeDiff (plan of a create)
# --------------------------------------------------------------------------------------

QUEUE_CASES = [
    ("aws_sqs_queue", "long", {"name": "q" * 81}, "invalid queue name: " + "q" * 81),
    ("aws_sqs_queue", "dots", {"name": "jobs.queue"}, "invalid queue name: jobs.queue"),
    ("aws_sqs_queue", "fifo_suffix", {"name": "jobs", "fifo_queue": True}, "invalid queue name: jobs"),
    (
        "aws_sqs_queue",
        "fifo_long",
        {"name": "q" * 76 + ".fifo", "fifo_queue": True},
        "invalid queue name: " + "q" * 76,
    ),
    ("aws_sqs_queue", "long_prefix", {"name_prefix": "q" * 55}, "invalid queue name: " + "q" * 55),
    ("aws_sns_topic", "long", {"name": "t" * 257}, "invalid topic name: " + "t" * 257),
    ("aws_sns_topic", "fifo_suffix", {"name": "jobs", "fifo_topic": True}, "invalid topic name: jobs"),
]
GOOD_QUEUES = [
    ("aws_sqs_queue", "q80", {"name": "q" * 79 + "_"}),
    ("aws_sqs_queue", "fifo75", {"name": "q" * 75 + ".fifo", "fifo_queue": True}),
    ("aws_sqs_queue", "prefix54", {"name_prefix": "q" * 54}),
    ("aws_sqs_queue", "fifo_prefix", {"name_prefix": "q" * 49, "fifo_queue": True}),
    ("aws_sqs_queue", "generated", {}),
    ("aws_sqs_queue", "unknown", {"name": '= "${aws_sns_topic.t256.arn}' + "q" * 90 + '"'}),
    ("aws_sns_topic", "t256", {"name": "t" * 256}),
    ("aws_sns_topic", "fifo251", {"name": "t" * 251 + ".fifo", "fifo_topic": True}),
]


@pytest.fixture(scope="module")
def bad_queue_plan(
    offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, list[dict[str, Any]]]:
    body = "".join(resource(t, label, **attrs) for t, label, attrs, _ in QUEUE_CASES)
    work = init_config(offline_terraform, tmp_path_factory.mktemp("bad-queues"), body)
    return plan_diagnostics(offline_terraform, work)


@pytest.mark.terraform
@pytest.mark.parametrize(
    ("type_", "label", "attrs", "message"),
    QUEUE_CASES,
    ids=[f"{t}.{label}" for t, label, _, _ in QUEUE_CASES],
)
def test_queue_and_topic_names_fire_at_plan(
    bad_queue_plan: tuple[int, list[dict[str, Any]]],
    type_: str,
    label: str,
    attrs: dict[str, Any],
    message: str,
) -> None:
    code, diags = bad_queue_plan
    assert code == 1
    found = diagnostics_by_address(diags).get(f"{type_}.{label}", [])
    assert len(found) == 1, found
    # Generated names end in a 26-character unique id (and ".fifo"), which the check sees too.
    assert found[0].startswith(message), found


@pytest.mark.terraform
def test_queue_and_topic_names_pass_when_valid(offline_terraform: OfflineTerraform, tmp_path: Path) -> None:
    body = "".join(resource(t, label, **attrs) for t, label, attrs in GOOD_QUEUES)
    work = init_config(offline_terraform, tmp_path, body)
    code, diags = plan_diagnostics(offline_terraform, work)
    assert code == 0, diags


# --------------------------------------------------------------------------------------
# Files read at apply
# --------------------------------------------------------------------------------------

FILES_TF = """\
variable "code_hash" {
  type    = string
  default = "v1"
}

resource "aws_lambda_function" "fn" {
  function_name    = "fn"
  role             = "arn:aws:iam::123456789012:role/fn"
  handler          = "index.handler"
  runtime          = "python3.12"
  filename         = "code.zip"
  source_code_hash = var.code_hash
}

resource "aws_lambda_layer_version" "deps" {
  layer_name = "deps"
  filename   = "layer.zip"
}

resource "aws_s3_object" "payload" {
  bucket = "jobs-payload-bucket"
  key    = "payload.json"
  source = "payload.json"
}
"""
APPLY_FILES = ("code.zip", "layer.zip", "payload.json")
MISSING_MESSAGES = [
    "reading ZIP file (code.zip): open code.zip: no such file or directory",
    "reading ZIP file (layer.zip): open layer.zip: no such file or directory",
    "opening S3 object source (payload.json): open payload.json: no such file or directory",
]


def _copy_workdir(src: Path, dest: Path, with_files: bool) -> Path:
    # A full copy (.terraform, lock file and saved plan included), like a CI job that plans in
    # one workspace and applies the saved plan in another.
    shutil.copytree(src, dest, symlinks=True)
    if not with_files:
        for name in APPLY_FILES:
            (dest / name).unlink()
    return dest


@pytest.fixture(scope="module")
def planned_files_dir(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = init_config(offline_terraform, tmp_path_factory.mktemp("files") / "plan", FILES_TF)
    for name in APPLY_FILES:
        (work / name).write_bytes(b"PK\x05\x06" + b"\x00" * 18 if name.endswith(".zip") else b"{}")
    offline_terraform.check(["plan", "-no-color", "-input=false", "-out=saved.tfplan"], work)
    return work


@pytest.mark.terraform
def test_apply_fails_when_files_read_at_apply_are_missing(
    planned_files_dir: Path, offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    work = _copy_workdir(planned_files_dir, tmp_path / "apply", with_files=False)
    result = offline_terraform.run(["apply", "-no-color", "-input=false", "saved.tfplan"], work)
    assert result.returncode == 1
    errors = re.findall(r"^Error: (.*)$", result.stderr, flags=re.MULTILINE)
    assert sorted(errors) == sorted(MISSING_MESSAGES), result.stderr


@pytest.mark.terraform
def test_apply_reads_files_relative_to_the_working_directory(
    planned_files_dir: Path, offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    work = _copy_workdir(planned_files_dir, tmp_path / "apply", with_files=True)
    offline_terraform.check(["apply", "-no-color", "-input=false", "saved.tfplan"], work)
    # An update re-reads `filename` only when the code changes (needsFunctionCodeUpdate).
    (work / "code.zip").unlink()
    unchanged = offline_terraform.run(["apply", "-no-color", "-auto-approve", "-input=false"], work)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "No changes." in unchanged.stdout
    changed = offline_terraform.run(
        ["apply", "-no-color", "-auto-approve", "-input=false", "-var", "code_hash=v2"], work
    )
    assert changed.returncode == 1
    assert "Error: reading ZIP file (code.zip): open code.zip: no such file or directory" in changed.stderr


# --------------------------------------------------------------------------------------
# Generated names and ARNs at apply
# --------------------------------------------------------------------------------------

UNIQUE = r"\d{18}[0-9a-f]{8}"

NAMES_TF = """\
resource "aws_iam_role" "prefixed" {
  count              = 2
  name_prefix        = "jobs-"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "unnamed" {
  assume_role_policy = "{}"
}

resource "aws_iam_role" "named" {
  name               = "exact-name"
  assume_role_policy = "{}"
}

resource "aws_sqs_queue" "fifo" {
  name_prefix = "jobs-"
  fifo_queue  = true
}

resource "aws_lambda_permission" "s3" {
  statement_id_prefix = "AllowS3-"
  action              = "lambda:InvokeFunction"
  function_name       = "fn"
  principal           = "s3.amazonaws.com"
}

resource "aws_kms_alias" "generated" {
  target_key_id = "k"
}

resource "aws_s3_bucket" "prefixed" {
  bucket_prefix = "jobs-"
}

resource "aws_cloudwatch_event_target" "t" {
  rule = "r"
  arn  = "arn:aws:sqs:eu-west-1:123456789012:q"
}
"""


def applied_state(tool: OfflineTerraform, work: Path) -> dict[str, dict[str, Any]]:
    tool.check(["apply", "-no-color", "-auto-approve", "-input=false"], work)
    shown = json.loads(tool.check(["show", "-json", "-no-color"], work).stdout)
    return {r["address"]: r["values"] for r in shown["values"]["root_module"]["resources"]}


@pytest.mark.terraform
def test_apply_generates_names_from_prefixes(offline_terraform: OfflineTerraform, tmp_path: Path) -> None:
    work = init_config(offline_terraform, tmp_path, NAMES_TF)
    state = applied_state(offline_terraform, work)
    roles = [state["aws_iam_role.prefixed[0]"], state["aws_iam_role.prefixed[1]"]]
    for role in roles:
        assert re.fullmatch(f"jobs-{UNIQUE}", role["name"]), role["name"]
        assert role["name_prefix"] == "jobs-"
        assert role["arn"] == f"arn:aws:iam::123456789012:role/{role['name']}"
        assert role["id"] == role["name"]
    assert roles[0]["name"] != roles[1]["name"]
    assert re.fullmatch(f"terraform-{UNIQUE}", state["aws_iam_role.unnamed"]["name"])
    assert state["aws_iam_role.unnamed"]["name_prefix"] == "terraform-"
    assert state["aws_iam_role.named"]["name_prefix"] == ""
    queue = state["aws_sqs_queue.fifo"]
    assert re.fullmatch(rf"jobs-{UNIQUE}\.fifo", queue["name"]), queue["name"]
    assert queue["name_prefix"] == "jobs-"
    assert queue["arn"] == f"arn:aws:sqs:eu-west-1:123456789012:{queue['name']}"
    assert queue["url"] == f"https://sqs.eu-west-1.amazonaws.com/123456789012/{queue['name']}"
    statement_id = state["aws_lambda_permission.s3"]["statement_id"]
    assert re.fullmatch(f"AllowS3-{UNIQUE}", statement_id)
    alias = state["aws_kms_alias.generated"]
    assert re.fullmatch(f"alias/{UNIQUE}", alias["name"])
    assert alias["arn"] == f"arn:aws:kms:eu-west-1:123456789012:{alias['name']}"
    bucket = state["aws_s3_bucket.prefixed"]
    assert re.fullmatch(f"jobs-{UNIQUE}", bucket["bucket"])
    assert bucket["arn"] == f"arn:aws:s3:::{bucket['bucket']}"
    assert re.fullmatch(f"terraform-{UNIQUE}", state["aws_cloudwatch_event_target.t"]["target_id"])
    # Generated names live in the state: the next plan changes nothing.
    replan = offline_terraform.run(["plan", "-no-color", "-detailed-exitcode"], work)
    assert replan.returncode == 0, replan.stdout + replan.stderr


ARN_TF = """\
provider "aws" {
  alias  = "use1"
  region = "us-east-1"
}

provider "aws" {
  alias  = "other_account"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::210987654321:role/deploy"
  }
}

provider "aws" {
  alias               = "allowed"
  region              = "eu-central-1"
  allowed_account_ids = ["333333333333"]
}

resource "aws_sqs_queue" "euw1" {
  name = "jobs"
}

resource "aws_sqs_queue" "use1" {
  provider = aws.use1
  name     = "jobs"
}

resource "aws_sqs_queue" "apse2" {
  region = "ap-southeast-2"
  name   = "jobs"
}

resource "aws_iam_role" "use1" {
  provider           = aws.use1
  name               = "jobs"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "other_account" {
  provider           = aws.other_account
  name               = "jobs"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "allowed" {
  provider           = aws.allowed
  name               = "jobs"
  path               = "/service/"
  assume_role_policy = "{}"
}

resource "aws_cloudwatch_dashboard" "d" {
  dashboard_name = "jobs"
  dashboard_body = "{}"
}

resource "aws_cloudwatch_metric_alarm" "a" {
  alarm_name          = "jobs-errors"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
}

resource "aws_cloudwatch_event_rule" "custom_bus" {
  name                = "nightly"
  event_bus_name      = "jobs"
  schedule_expression = "rate(1 day)"
}

data "aws_caller_identity" "other_account" {
  provider = aws.other_account
}

output "other_account_id" {
  value = data.aws_caller_identity.other_account.account_id
}
"""


@pytest.mark.terraform
def test_apply_arns_follow_the_provider_region_and_account(
    offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    work = init_config(offline_terraform, tmp_path, ARN_TF)
    state = applied_state(offline_terraform, work)
    arns = {address: values.get("arn") or values.get("dashboard_arn") for address, values in state.items()}
    assert arns["aws_sqs_queue.euw1"] == "arn:aws:sqs:eu-west-1:123456789012:jobs"
    assert arns["aws_sqs_queue.use1"] == "arn:aws:sqs:us-east-1:123456789012:jobs"
    # The per-resource `region` argument of aws 6.x wins over the provider's.
    assert state["aws_sqs_queue.apse2"]["region"] == "ap-southeast-2"
    assert arns["aws_sqs_queue.apse2"] == "arn:aws:sqs:ap-southeast-2:123456789012:jobs"
    assert state["aws_sqs_queue.apse2"]["url"] == "https://sqs.ap-southeast-2.amazonaws.com/123456789012/jobs"
    # IAM is global: no region, whatever the provider's; the account follows the credentials.
    assert arns["aws_iam_role.use1"] == "arn:aws:iam::123456789012:role/jobs"
    assert arns["aws_iam_role.other_account"] == "arn:aws:iam::210987654321:role/jobs"
    assert arns["aws_iam_role.allowed"] == "arn:aws:iam::333333333333:role/service/jobs"
    assert arns["aws_cloudwatch_dashboard.d"] == "arn:aws:cloudwatch::123456789012:dashboard/jobs"
    assert (
        arns["aws_cloudwatch_metric_alarm.a"] == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:jobs-errors"
    )
    assert (
        arns["aws_cloudwatch_event_rule.custom_bus"]
        == "arn:aws:events:eu-west-1:123456789012:rule/jobs/nightly"
    )
    outputs = json.loads(offline_terraform.check(["output", "-json"], work).stdout)
    assert outputs["other_account_id"]["value"] == "210987654321"


# --------------------------------------------------------------------------------------
# Unit tests of the rules (no Terraform process)
# --------------------------------------------------------------------------------------


def test_prefixed_unique_id_has_the_sdk_shape_and_never_repeats() -> None:
    ids = [prefixed_unique_id("p-") for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(f"p-{UNIQUE}", i) for i in ids)
    assert len(ids[0]) - 2 == UNIQUE_ID_SUFFIX_LENGTH
    assert ids == sorted(ids)  # timestamp + counter: creation order sorts


def test_name_prefix_from_name() -> None:
    assert name_prefix_from_name(prefixed_unique_id("jobs-")) == "jobs-"
    assert name_prefix_from_name(prefixed_unique_id("jobs-") + ".fifo", ".fifo") == "jobs-"
    assert name_prefix_from_name("exact-name") == ""


def test_unknown_and_null_names_are_not_validated() -> None:
    assert validate_names("aws_iam_role", {"name": cty.UNKNOWN, "name_prefix": None}) == []
    assert validate_names("aws_iam_role", {"name": "x" * 65}, attributes={"name_prefix"}) == []
    assert customize_diff_errors("aws_sqs_queue", {"name": cty.UNKNOWN, "name_prefix": cty.UNKNOWN}) == []


def test_go_quote() -> None:
    assert go_quote('a"b\\c\n') == '"a\\"b\\\\c\\n"'
