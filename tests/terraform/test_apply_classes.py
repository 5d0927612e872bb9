"""Classes of defects that only show on a real account: each test plans (and applies, with the offline
providers, which enforce the provider's apply-time checks and AWS's name limits) the way a platform
team uses the module, rather than the module's defaults alone.

- Every input may come from a resource created in the same apply: a stack that creates the KMS key,
  the topics, the permissions boundary and the submitting role next to the module plans and applies.
- Two instances in one stack, and the same ``name`` in two regions, never collide on a name AWS
  requires to be unique (IAM and dashboards are account-wide).
- A saved plan applies in a fresh checkout (CI plans and applies in separate jobs), and a later
  function replacement with unchanged code needs no local file either.
- The longest names the variables accept still fit every AWS limit.
- The lowest provider versions the constraints allow support every argument used.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.plan_helpers import (
    REPO_ROOT,
    as_list,
    copy_repo,
    iter_module_values,
    rendered_statements,
    state_resources,
)
from tests.terraform.unique_names import name_collisions
from tests.terraform_offline import OfflineTerraform, TerraformFailed

pytestmark = pytest.mark.terraform

FIXTURES = "tests/terraform/fixtures"
APPLY = ["apply", "-no-color", "-input=false", "-auto-approve", "-lock=false"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("apply-classes") / "repo")


def _show(tf: OfflineTerraform, cwd: Path, *args: str) -> dict[str, Any]:
    return json.loads(tf.check(["show", "-json", "-no-color", *args], cwd).stdout)


def _all_resources(state: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return iter_module_values(state["values"]["root_module"])


def _resource(state: dict[str, Any], address: str) -> dict[str, Any]:
    for resource in _all_resources(state):
        if resource["address"] == address:
            return resource["values"]
    raise AssertionError(f"{address} not in the state")


# ------------------------------------------------------------------------------------------------
# Inputs unknown until apply; two instances; the same name in two regions
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def platform_stack(offline_terraform: OfflineTerraform, repo: Path) -> dict[str, Any]:
    """Plan (saved) and apply of tests/terraform/fixtures/platform-stack; returns plan and state."""
    cwd = repo / FIXTURES / "platform-stack"
    offline_terraform.init(cwd)
    offline_terraform.check(["plan", "-no-color", "-input=false", "-lock=false", "-out=stack.tfplan"], cwd)
    plan = _show(offline_terraform, cwd, "stack.tfplan")
    offline_terraform.check([*APPLY, "stack.tfplan"], cwd)
    return {"plan": plan, "state": _show(offline_terraform, cwd)}


def test_inputs_created_in_the_same_apply_are_unknown_at_plan(platform_stack: dict[str, Any]) -> None:
    # The premise of the stack: the ARNs passed in really are unknown when Terraform plans.
    variables = platform_stack["plan"]["configuration"]["root_module"]["module_calls"]["docs"]["expressions"]
    for name in (
        "kms_key_arn",
        "results_topic_arn",
        "alarm_topic_kms_master_key_id",
        "producer_url_allowed_principals",
    ):
        assert variables[name].get("references"), f"{name} should come from a resource of the stack"
    after_unknown = {
        c["address"]: c["change"]["after_unknown"] for c in platform_stack["plan"]["resource_changes"]
    }
    assert after_unknown["module.docs.module.alarms.aws_sns_topic.this[0]"].get("kms_master_key_id") is True


def test_stack_with_inputs_unknown_at_plan_applies_with_them(platform_stack: dict[str, Any]) -> None:
    state = platform_stack["state"]
    key_arn = _resource(state, "aws_kms_key.shared")["arn"]
    results_arn = _resource(state, "aws_sns_topic.results")["arn"]
    submitter = _resource(state, "aws_iam_role.submitter")["arn"]

    # Nothing was created for what was passed in: no results topic, no alerts-topic key of its own.
    addresses = {r["address"] for r in _all_resources(state)}
    assert not [a for a in addresses if a.startswith("module.docs.aws_sns_topic.results")]
    assert not [a for a in addresses if a.startswith("module.docs.module.alarms.aws_kms_key")]
    assert _resource(state, "module.docs.module.alarms.aws_sns_topic.this[0]")["kms_master_key_id"] == key_arn

    # Both publishers of "job completed/failed" notices are wired to the passed-in topic.
    for role in ("consumer", "archiver"):
        function = _resource(state, f"module.docs.module.{role}.aws_lambda_function.this")
        assert function["environment"][0]["variables"]["RESULTS_TOPIC_ARN"] == results_arn
        policy = _resource(state, f"module.docs.module.{role}.aws_iam_role_policy.this")["policy"]
        publish = [s for s in rendered_statements(policy) if "sns:Publish" in as_list(s["Action"])]
        assert any(results_arn in as_list(s["Resource"]) for s in publish), role

    permissions = [
        r["values"]
        for r in _all_resources(state)
        if r["address"].startswith("module.docs.aws_lambda_permission.producer_url")
    ]
    assert permissions and {p["principal"] for p in permissions} == {submitter}
    assert all(len(p["statement_id"]) <= 100 for p in permissions)


def test_two_instances_and_one_name_in_two_regions_claim_no_name_twice(
    platform_stack: dict[str, Any],
) -> None:
    state = platform_stack["state"]
    assert name_collisions([state]) == []

    # The same name in two regions: account-wide names differ by region.
    eu = _resource(state, "module.docs.module.consumer.aws_iam_role.this")["name"]
    us = _resource(state, "module.docs_us.module.consumer.aws_iam_role.this")["name"]
    assert eu == "docs-ai-consumer-eu-west-1" and us == "docs-ai-consumer-us-east-1"
    dashboards = {
        _resource(state, f"{m}.aws_cloudwatch_dashboard.this[0]")["dashboard_name"]
        for m in ("module.docs", "module.docs_us")
    }
    assert dashboards == {"docs-ai-eu-west-1", "docs-ai-us-east-1"}


def test_name_collision_check_can_fail(platform_stack: dict[str, Any]) -> None:
    # The same state twice is what two stacks with the same names in one account would be.
    collisions = name_collisions([platform_stack["state"], platform_stack["state"]])
    assert any("docs-ai-consumer-eu-west-1" in c for c in collisions)


# ------------------------------------------------------------------------------------------------
# A saved plan applies in a fresh checkout
# ------------------------------------------------------------------------------------------------


def test_saved_plan_applies_in_a_fresh_checkout(offline_terraform: OfflineTerraform, tmp_path: Path) -> None:
    planned = copy_repo(tmp_path / "plan-job")
    offline_terraform.init(planned)
    offline_terraform.check(["plan", "-no-color", "-input=false", "-lock=false", "-out=ci.tfplan"], planned)

    # The apply job: a new checkout of the same commit, initialised, given only the saved plan.
    applied = copy_repo(tmp_path / "apply-job")
    assert not (applied / ".build").exists()
    offline_terraform.init(applied)
    shutil.copy2(planned / "ci.tfplan", applied / "ci.tfplan")
    offline_terraform.check([*APPLY, "ci.tfplan"], applied)

    state = _show(offline_terraform, applied)
    package = _resource(state, "aws_s3_object.package")
    for role in ("producer", "consumer", "archiver"):
        function = _resource(state, f"module.{role}.aws_lambda_function.this")
        assert (function["s3_bucket"], function["s3_key"]) == (package["bucket"], package["key"])
        assert function["filename"] is None
    zips = list((applied / ".build").glob("*.zip"))
    assert len(zips) == 1, "the apply job builds the package it uploads"
    names = zipfile.ZipFile(zips[0]).namelist()
    assert "bedrock_jobs/consumer.py" in names and not [n for n in names if "__pycache__" in n]

    # Later, a function is replaced with unchanged code (here forced), planned and applied by two
    # more fresh jobs that share only the state: no local package is needed, the code is in S3.
    replan = copy_repo(tmp_path / "replan-job")
    shutil.copy2(applied / "terraform.tfstate", replan / "terraform.tfstate")
    offline_terraform.init(replan)
    offline_terraform.check(
        [
            "plan",
            "-no-color",
            "-input=false",
            "-lock=false",
            "-replace=module.consumer.aws_lambda_function.this",
            "-out=replace.tfplan",
        ],
        replan,
    )
    reapply = copy_repo(tmp_path / "reapply-job")
    shutil.copy2(applied / "terraform.tfstate", reapply / "terraform.tfstate")
    shutil.copy2(replan / "replace.tfplan", reapply / "replace.tfplan")
    offline_terraform.init(reapply)
    result = offline_terraform.check([*APPLY, "replace.tfplan"], reapply)
    assert "module.consumer.aws_lambda_function.this: Creation complete" in result.stdout
    assert not list(reapply.glob(".build/*.zip")), "nothing was rebuilt: the function came from S3"


def test_package_version_follows_the_source_files(
    offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    """The S3 key (and the functions' code trigger) changes exactly when a packaged file does."""

    def package_key(work: Path) -> str:
        offline_terraform.init(work)
        plan = offline_terraform.plan_json(work, ["-lock=false"])
        (change,) = [c for c in plan["resource_changes"] if c["address"] == "aws_s3_object.package"]
        return change["change"]["after"]["key"]

    work = copy_repo(tmp_path / "repo")
    first = package_key(work)
    # Bytecode caches are not part of the package.
    cache = work / "functions" / "bedrock_jobs" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "consumer.cpython-312.pyc").write_bytes(b"\0")
    assert package_key(work) == first
    with (work / "functions" / "bedrock_jobs" / "consumer.py").open("a") as source:
        source.write("\n# changed\n")
    second = package_key(work)
    assert second != first and re.fullmatch(r"packages/bedrock-jobs-functions-[0-9a-f]{16}\.zip", second)


# ------------------------------------------------------------------------------------------------
# The longest names the variables accept
# ------------------------------------------------------------------------------------------------

LONGEST_NAME = "a" + "0123456789" * 3 + "z"  # 32 characters, the most `name` accepts
# An IAM role ARN with the longest role name and a deep path: statement ids must not embed it.
LONG_ROLE_ARN = "arn:aws:iam::123456789012:role/" + "platform/teams/" * 6 + "r" * 64


def _longest_names_plan(tf: OfflineTerraform, repo: Path, rule_name: str) -> Path:
    cwd = repo / FIXTURES / "longest-names"
    tf.init(cwd)
    tf.check(
        [
            "plan",
            "-no-color",
            "-input=false",
            "-lock=false",
            "-out=longest.tfplan",
            f"-var=name={LONGEST_NAME}",
            f"-var=rule_name={rule_name}",
            f"-var=submitter_role_arn={LONG_ROLE_ARN}",
        ],
        cwd,
    )
    return cwd


def test_longest_accepted_names_fit_every_aws_limit(offline_terraform: OfflineTerraform, repo: Path) -> None:
    assert len(LONGEST_NAME) == 32
    rule_name = "r" * (64 - len(LONGEST_NAME) - 1)
    # The offline aws provider enforces AWS's name limits at plan, as the real one does.
    cwd = _longest_names_plan(offline_terraform, repo, rule_name)
    offline_terraform.check([*APPLY, "longest.tfplan"], cwd)
    state = _show(offline_terraform, cwd)
    rules = state_resources(state, "aws_cloudwatch_event_rule")
    assert max(len(r["name"]) for r in rules.values()) == 64
    roles = state_resources(state, "aws_iam_role")
    assert max(len(r["name"]) for r in roles.values()) <= 64
    assert all(r["name"].endswith("-ap-southeast-4") for r in roles.values())


def test_a_rule_name_one_character_too_long_is_rejected_at_plan(
    offline_terraform: OfflineTerraform, repo: Path
) -> None:
    with pytest.raises(TerraformFailed) as failure:
        _longest_names_plan(offline_terraform, repo, "r" * (64 - len(LONGEST_NAME)))
    # Terraform wraps diagnostics: compare with whitespace collapsed.
    assert "EventBridge limits to 64 characters" in " ".join(str(failure.value).split())


# ------------------------------------------------------------------------------------------------
# The lowest provider versions the constraints allow
# ------------------------------------------------------------------------------------------------


def _floor(provider: str) -> str:
    """The lowest version every versions.tf of the module allows for a provider (``>= X`` bounds)."""
    floors = []
    for versions in [REPO_ROOT / "versions.tf", *REPO_ROOT.glob("modules/*/versions.tf")]:
        block = re.search(
            rf"{provider}\s*=\s*\{{[^}}]*version\s*=\s*\"([^\"]+)\"", versions.read_text(), re.S
        )
        if block:
            (bound,) = re.findall(r">=\s*([0-9.]+)", block.group(1))
            floors.append(tuple(int(p) for p in bound.split(".")))
    highest = max(floors)
    return ".".join(str(p) for p in (*highest, 0, 0)[:3])


def test_version_floors_are_read_from_the_constraints() -> None:
    assert _floor("aws") == "6.28.0"
    assert _floor("archive") == "2.7.0"


@pytest.mark.parametrize(
    "config",
    [
        ".",
        "examples/complete",
        "examples/existing-topic-and-kms",
        "examples/fifo",
        "examples/batch-and-schedules",
    ],
)
def test_lowest_allowed_providers_plan_every_configuration(
    offline_terraform_for: Callable[..., OfflineTerraform], config: str, tmp_path: Path
) -> None:
    """Validate and plan against the schema of the lowest aws release the constraints allow, with the
    lowest archive release (whose behaviour, e.g. glob excludes, the offline provider models)."""
    tf = offline_terraform_for(aws_version=_floor("aws"), archive_version=_floor("archive"))
    work = copy_repo(tmp_path / "repo")
    cwd = work / config
    tf.init(cwd)
    tf.check(["validate", "-no-color"], cwd)
    plan = tf.plan_json(cwd, ["-lock=false"])
    assert plan["resource_changes"]


def test_lowest_allowed_archive_provider_excludes_bytecode(
    offline_terraform_for: Callable[..., OfflineTerraform], tmp_path: Path
) -> None:
    tf = offline_terraform_for(aws_version=_floor("aws"), archive_version=_floor("archive"))
    work = copy_repo(tmp_path / "repo")
    cache = work / "functions" / "bedrock_jobs" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "consumer.cpython-312.pyc").write_bytes(b"\0")
    tf.init(work)
    tf.check([*APPLY, "-target=archive_file.functions"], work)
    (package,) = (work / ".build").glob("*.zip")
    assert not [n for n in zipfile.ZipFile(package).namelist() if "__pycache__" in n or n.endswith(".pyc")]


# ------------------------------------------------------------------------------------------------
# What the consumer may call on Bedrock and Marketplace (default model: a global inference profile)
# ------------------------------------------------------------------------------------------------


def test_model_grants_are_scoped_to_the_configured_profile(platform_stack: dict[str, Any]) -> None:
    state = platform_stack["state"]
    policy = _resource(state, "module.docs.module.consumer.aws_iam_role_policy.this")["policy"]
    invoke = [s for s in rendered_statements(policy) if "bedrock:InvokeModel" in as_list(s["Action"])]
    model = "anthropic.claude-haiku-4-5-20251001-v1:0"
    profile = f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/global.{model}"

    unconditioned = [r for s in invoke if "Condition" not in s for r in as_list(s["Resource"])]
    assert profile in unconditioned
    # No foundation model may be invoked directly, in any region, outside the profile.
    assert not [r for r in unconditioned if ":foundation-model/" in r]

    conditioned = {r: s["Condition"] for s in invoke if "Condition" in s for r in as_list(s["Resource"])}
    # Global profile (UG "Global cross-Region inference"): the source region's model and the
    # region-less model ARN with aws:RequestedRegion "unspecified", both only through the profile.
    assert set(conditioned) == {
        f"arn:aws:bedrock:eu-west-1::foundation-model/{model}",
        f"arn:aws:bedrock:::foundation-model/{model}",
    }
    for condition in conditioned.values():
        assert condition["StringEquals"]["bedrock:InferenceProfileArn"] == profile
    assert (
        conditioned[f"arn:aws:bedrock:::foundation-model/{model}"]["StringEquals"]["aws:RequestedRegion"]
        == "unspecified"
    )


def test_first_marketplace_invocation_is_allowed_for_the_configured_products_only(
    platform_stack: dict[str, Any],
) -> None:
    policy = _resource(platform_stack["state"], "module.docs.module.consumer.aws_iam_role_policy.this")[
        "policy"
    ]
    statements = {s["Sid"]: s for s in rendered_statements(policy)}
    subscribe = statements["SubscribeToModelOffers"]
    assert as_list(subscribe["Action"]) == ["aws-marketplace:Subscribe"]
    assert subscribe["Condition"] == {
        "ForAnyValue:StringEquals": {"aws-marketplace:ProductId": "prod-xdkflymybwmvi"}
    }
    assert as_list(statements["ViewModelSubscriptions"]["Action"]) == ["aws-marketplace:ViewSubscriptions"]
