"""Guardrails (guardrails.tf) on ``terraform show -json`` plans and offline-applied states: off by
default (nothing created, no grant, no environment); an existing guardrail attached by id; a guardrail
created with content filters, PII entities and a denied topic plus a numbered version; per-task
overrides. The applied state renders the consumer's IAM policy, so the ApplyGuardrail grant is checked
as AWS would receive it: on exactly the guardrails in use, by ARN.

The two stacks are written into the session's copy of the repository (next to the other fixtures),
so the checkout stays clean.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.plan_helpers import (
    Plan,
    Workspace,
    as_list,
    rendered_statements,
    session_workspace,
    state_resources,
)
from tests.terraform_offline import OfflineTerraform

pytestmark = pytest.mark.terraform

M = "module.bedrock_jobs"
ACCOUNT, REGION = "123456789012", "eu-west-1"
CONSUMER_POLICY = f"{M}.module.consumer.aws_iam_role_policy.this"
CONSUMER_FUNCTION = f"{M}.module.consumer.aws_lambda_function.this"
OTHER_ACCOUNT_GUARDRAIL = "arn:aws:bedrock:eu-west-1:210987654321:guardrail/sharedguard7"

_HEADER = """
terraform {
  required_providers {
    aws     = { source = "hashicorp/aws", version = ">= 6.28, < 7.0" }
    archive = { source = "hashicorp/archive", version = ">= 2.7" }
  }
}

provider "aws" {
  region = "eu-west-1"
}
"""

STACKS = {
    # An existing guardrail by id; one task with a guardrail of another account (by ARN), one with none.
    "existing": _HEADER
    + f"""
module "bedrock_jobs" {{
  source = "../../../.."
  name   = "guarded"

  guardrail_id      = "abc123def456"
  guardrail_version = "4"
  batch_enabled     = true

  tasks = {{
    legal = {{
      user_template     = "Review: {{document}}"
      guardrail_id      = "{OTHER_ACCOUNT_GUARDRAIL}"
      guardrail_version = "2"
    }}
    classify = {{ guardrail_id = "none" }}
  }}
}}
""",
    # A guardrail created by the module.
    "created": _HEADER
    + """
module "bedrock_jobs" {
  source = "../../../.."
  name   = "made"

  guardrail_create = true
  guardrail_content_filters = {
    HATE          = { input_strength = "HIGH", output_strength = "MEDIUM" }
    PROMPT_ATTACK = { input_strength = "LOW", output_strength = "NONE" }
  }
  guardrail_pii_entities = { EMAIL = "ANONYMIZE", US_SOCIAL_SECURITY_NUMBER = "BLOCK" }
  guardrail_denied_topics = [
    {
      name       = "Investment advice"
      definition = "Recommendations about what to invest in."
      examples   = ["Which stock should I buy?"]
    },
  ]
}
""",
}


@pytest.fixture(scope="module")
def workspace(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = session_workspace(offline_terraform, tmp_path_factory.mktemp("tf-workspace"))
    for name, text in STACKS.items():
        stack = ws.path(f"tests/terraform/fixtures/guardrail-{name}")
        stack.mkdir(parents=True, exist_ok=True)
        (stack / "main.tf").write_text(text)
    return ws


def applied(workspace: Workspace, name: str) -> tuple[Plan, dict[str, Any]]:
    rel = f"tests/terraform/fixtures/guardrail-{name}"
    return workspace.plan(rel), workspace.applied_state(rel)


def consumer_statements(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policy = state_resources(state, "aws_iam_role_policy")[CONSUMER_POLICY]["policy"]
    return {s["Sid"]: s for s in rendered_statements(policy)}


def consumer_env(state: dict[str, Any]) -> dict[str, str]:
    return state_resources(state, "aws_lambda_function")[CONSUMER_FUNCTION]["environment"][0]["variables"]


def apply_guardrail_grants(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every role that allows ApplyGuardrail."""
    return [
        s
        for values in state_resources(state, "aws_iam_role_policy").values()
        for s in rendered_statements(values["policy"])
        if any("ApplyGuardrail" in a for a in as_list(s["Action"]))
    ]


def test_off_by_default_nothing_is_created_granted_or_configured(workspace: Workspace) -> None:
    root = workspace.plan(".")
    assert [c["address"] for c in root.changes if "guardrail" in c["type"]] == []
    doc = root.values("module.consumer.data.aws_iam_policy_document.this")
    assert "ApplyGuardrails" not in {s.get("sid") for s in doc["statement"]}
    consumer = root.values("module.consumer.aws_lambda_function.this")["environment"][0]["variables"]
    assert "GUARDRAIL_ID" not in consumer and "GUARDRAIL_VERSION" not in consumer
    assert root.data["planned_values"]["outputs"]["guardrail_arns"]["value"] == []


def test_existing_guardrail_is_applied_by_id_and_granted_by_arn(workspace: Workspace) -> None:
    plan, state = applied(workspace, "existing")
    assert plan.addresses("aws_bedrock_guardrail") == []
    assert plan.addresses("aws_bedrock_guardrail_version") == []
    env = consumer_env(state)
    assert (env["GUARDRAIL_ID"], env["GUARDRAIL_VERSION"]) == ("abc123def456", "4")
    # The tasks' own guardrails (and "none") reach the consumer in TASKS_CONFIG.
    tasks = json.loads(env["TASKS_CONFIG"])
    assert (tasks["legal"]["guardrail_id"], tasks["legal"]["guardrail_version"]) == (
        OTHER_ACCOUNT_GUARDRAIL,
        "2",
    )
    assert tasks["classify"]["guardrail_id"] == "none"
    # The batch submitter reads the same guardrail settings, to keep guarded jobs out of batch jobs
    # (batch inference applies no guardrail).
    functions = state_resources(state, "aws_lambda_function")
    submitter = functions["module.bedrock_jobs.module.batch_submitter[0].aws_lambda_function.this"]
    batch_env = submitter["environment"][0]["variables"]
    assert (batch_env["GUARDRAIL_ID"], batch_env["GUARDRAIL_VERSION"]) == ("abc123def456", "4")
    assert batch_env["TASKS_CONFIG"] == env["TASKS_CONFIG"]
    # Exactly the two guardrails in use: the default (an id, so this account and region) and the task's ARN.
    grant = consumer_statements(state)["ApplyGuardrails"]
    assert grant["Effect"] == "Allow" and as_list(grant["Action"]) == ["bedrock:ApplyGuardrail"]
    assert sorted(as_list(grant["Resource"])) == sorted(
        [f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/abc123def456", OTHER_ACCOUNT_GUARDRAIL]
    )
    assert "Condition" not in grant
    # Only the consumer calls the model.
    assert apply_guardrail_grants(state) == [grant]


def test_created_guardrail_has_the_policies_a_numbered_version_and_the_only_grant(
    workspace: Workspace,
) -> None:
    _, state = applied(workspace, "created")
    guardrails = state_resources(state, "aws_bedrock_guardrail")
    guardrail = guardrails[f"{M}.aws_bedrock_guardrail.this[0]"]
    assert guardrail["name"] == "made"
    filters = {
        f["type"]: (f["input_strength"], f["output_strength"])
        for f in guardrail["content_policy_config"][0]["filters_config"]
    }
    assert filters == {"HATE": ("HIGH", "MEDIUM"), "PROMPT_ATTACK": ("LOW", "NONE")}
    pii = {
        p["type"]: p["action"]
        for p in guardrail["sensitive_information_policy_config"][0]["pii_entities_config"]
    }
    assert pii == {"EMAIL": "ANONYMIZE", "US_SOCIAL_SECURITY_NUMBER": "BLOCK"}
    [topic] = guardrail["topic_policy_config"][0]["topics_config"]
    assert (topic["name"], topic["type"], topic["examples"]) == (
        "Investment advice",
        "DENY",
        ["Which stock should I buy?"],
    )
    version = state_resources(state, "aws_bedrock_guardrail_version")[
        f"{M}.aws_bedrock_guardrail_version.this[0]"
    ]
    assert version["guardrail_arn"] == guardrail["guardrail_arn"]
    # The consumer applies the created guardrail's numbered version, and may apply nothing else.
    env = consumer_env(state)
    assert env["GUARDRAIL_ID"] == guardrail["guardrail_id"]
    assert env["GUARDRAIL_VERSION"] == version["version"] and env["GUARDRAIL_VERSION"] != "DRAFT"
    grant = consumer_statements(state)["ApplyGuardrails"]
    assert as_list(grant["Resource"]) == [guardrail["guardrail_arn"]]
    assert guardrail["guardrail_arn"].startswith(f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/")
    assert apply_guardrail_grants(state) == [grant]
