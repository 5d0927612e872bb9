"""tests/terraform/unique_names.py against states of tiny configurations applied offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.unique_names import Collision, find_collisions, name_collisions
from tests.terraform_offline import OfflineTerraform

HEADER = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 6.0, < 7.0" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "use1"
  region = "us-east-1"
}
"""

# Two "module instances" that both name their role "jobs-worker", and a third in another region.
MODULE_TF = """\
variable "role_name" {
  type = string
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = "{}"
}
"""

COLLIDING_TF = """\
module "blue" {
  source    = "./worker"
  role_name = "jobs-worker"
}

module "green" {
  source    = "./worker"
  role_name = "jobs-worker"
}

resource "aws_sqs_queue" "euw1" {
  name = "jobs"
}

resource "aws_sqs_queue" "use1" {
  provider = aws.use1
  name     = "jobs"
}

resource "aws_iam_role" "use1" {
  provider           = aws.use1
  name               = "JOBS-shared"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "euw1" {
  name               = "jobs-shared"
  assume_role_policy = "{}"
}

resource "aws_cloudwatch_event_rule" "default_bus" {
  name                = "nightly"
  schedule_expression = "rate(1 day)"
}

resource "aws_cloudwatch_event_rule" "custom_bus" {
  name                = "nightly"
  event_bus_name      = "jobs"
  schedule_expression = "rate(1 day)"
}
"""


def apply_and_show(tool: OfflineTerraform, work: Path, body: str) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf").write_text(HEADER + body)
    (work / "worker").mkdir(exist_ok=True)
    (work / "worker" / "main.tf").write_text(MODULE_TF)
    tool.init(work)
    tool.check(["apply", "-no-color", "-auto-approve", "-input=false"], work)
    return json.loads(tool.check(["show", "-json", "-no-color"], work).stdout)


@pytest.fixture(scope="module")
def colliding_state(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return apply_and_show(offline_terraform, tmp_path_factory.mktemp("colliding"), COLLIDING_TF)


@pytest.mark.terraform
def test_same_iam_role_name_in_two_module_instances_collides(colliding_state: dict[str, Any]) -> None:
    found = {(c.label, c.name.lower()): c for c in find_collisions(colliding_state)}
    role = found[("IAM role name", "jobs-worker")]
    assert role.addresses == ("module.blue.aws_iam_role.this", "module.green.aws_iam_role.this")
    assert role.scope == "partition aws, account 123456789012"


@pytest.mark.terraform
def test_same_iam_role_name_in_two_regions_collides(colliding_state: dict[str, Any]) -> None:
    # IAM is global (and case-insensitive): the provider's region does not separate roles.
    found = {(c.label, c.name.lower()): c for c in find_collisions(colliding_state)}
    assert sorted(found[("IAM role name", "jobs-shared")].addresses) == [
        "aws_iam_role.euw1",
        "aws_iam_role.use1",
    ]


@pytest.mark.terraform
def test_same_queue_name_in_two_regions_does_not_collide(colliding_state: dict[str, Any]) -> None:
    labels = {c.label for c in find_collisions(colliding_state)}
    assert "SQS queue name" not in labels
    # Rules on different event buses do not collide either.
    assert "EventBridge rule name" not in labels
    assert len(name_collisions(colliding_state)) == 2
    assert name_collisions(colliding_state)[0].startswith("IAM role name ")


@pytest.mark.terraform
def test_two_states_in_one_account_collide_on_regional_names(colliding_state: dict[str, Any]) -> None:
    # The same stack applied twice (two workspaces, same account): every name collides.
    found = find_collisions(colliding_state, colliding_state)
    assert found == find_collisions([colliding_state, colliding_state])
    queues = [c for c in found if c.label == "SQS queue name"]
    assert {c.scope for c in queues} == {
        "partition aws, account 123456789012, region eu-west-1",
        "partition aws, account 123456789012, region us-east-1",
    }
    assert all(c.addresses[0].startswith("[0] ") and c.addresses[1].startswith("[1] ") for c in queues)


def _state(*resources: dict[str, Any], children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"values": {"root_module": {"resources": list(resources), "child_modules": children or []}}}


def _res(address: str, type_: str, **values: Any) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": type_, "values": values}


def test_buckets_are_unique_across_accounts_and_schedules_per_group() -> None:
    state_a = _state(
        _res(
            "aws_s3_bucket.a",
            "aws_s3_bucket",
            bucket="payload",
            arn="arn:aws:s3:::payload",
            region="eu-west-1",
        ),
        _res(
            "aws_scheduler_schedule.a",
            "aws_scheduler_schedule",
            name="nightly",
            group_name=None,
            region="eu-west-1",
        ),
    )
    state_b = _state(
        children=[
            {
                "resources": [
                    _res("module.m.aws_s3_bucket.b", "aws_s3_bucket", bucket="payload", region="us-east-1"),
                    _res(
                        "module.m.aws_scheduler_schedule.b",
                        "aws_scheduler_schedule",
                        name="nightly",
                        group_name="jobs",
                        region="eu-west-1",
                    ),
                ],
                "child_modules": [],
            }
        ]
    )
    found = find_collisions(state_a, state_b, default_account="999999999999")
    assert found == [
        Collision(
            "S3 bucket name",
            "payload",
            "partition aws",
            ("[0] aws_s3_bucket.a", "[1] module.m.aws_s3_bucket.b"),
        )
    ]


def test_accounts_from_arns_separate_account_scoped_names() -> None:
    state = _state(
        _res("aws_iam_role.a", "aws_iam_role", name="jobs", arn="arn:aws:iam::111111111111:role/jobs"),
        _res("aws_iam_role.b", "aws_iam_role", name="jobs", arn="arn:aws:iam::222222222222:role/jobs"),
        _res(
            "aws_cloudwatch_dashboard.a",
            "aws_cloudwatch_dashboard",
            dashboard_name="jobs",
            region="eu-west-1",
        ),
        _res(
            "aws_cloudwatch_dashboard.b",
            "aws_cloudwatch_dashboard",
            dashboard_name="jobs",
            region="us-east-1",
        ),
    )
    assert name_collisions(state) == [
        "CloudWatch dashboard name 'jobs' (partition aws, account 123456789012) is used by "
        "aws_cloudwatch_dashboard.a, aws_cloudwatch_dashboard.b"
    ]
