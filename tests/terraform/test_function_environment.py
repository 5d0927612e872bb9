"""Every function gets what its code uses: each Settings field a handler reads (found in its module and
every bedrock_jobs module it imports) is set in that function's environment by the module, and the
function may publish to every topic it is given.

The fields come from the code, not from a hand-kept list, so a handler that starts reading a new
setting fails this test until the module passes it (a DLQ archiver that sent no "job failed" notice
because it had no RESULTS_TOPIC_ARN was such a gap).
"""

from __future__ import annotations

import ast
from functools import cache

import pytest

from tests.terraform.plan_helpers import (
    REPO_ROOT,
    Workspace,
    as_list,
    rendered_statements,
    session_workspace,
    state_resources,
)
from tests.terraform_offline import OfflineTerraform

pytestmark = pytest.mark.terraform

PACKAGE = REPO_ROOT / "functions" / "bedrock_jobs"
HANDLERS = {"producer": "producer", "consumer": "consumer", "archiver": "dlq_archiver"}
# Settings fields whose environment variable is not the field's name in capitals.
ENVIRONMENT_OF = {
    "tasks": ["TASKS_CONFIG"],
    "queue_is_fifo": ["QUEUE_URL"],
    "permitted_model_ids": ["MODEL_ID", "TASKS_CONFIG", "ALLOWED_MODEL_IDS"],
    "attempt_budget_seconds": ["BEDROCK_CONNECT_TIMEOUT_SECONDS", "BEDROCK_READ_TIMEOUT_SECONDS"],
    "record_budget_seconds": [
        "BEDROCK_CONNECT_TIMEOUT_SECONDS",
        "BEDROCK_READ_TIMEOUT_SECONDS",
        "BEDROCK_MAX_ATTEMPTS",
    ],
}


@cache
def settings_fields() -> frozenset[str]:
    tree = ast.parse((PACKAGE / "config.py").read_text())
    (settings,) = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == "Settings"]
    fields = {
        b.target.id for b in settings.body if isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name)
    }
    fields |= {
        b.name
        for b in settings.body
        if isinstance(b, ast.FunctionDef)
        and any(getattr(d, "id", "") == "property" for d in b.decorator_list)
    }
    return frozenset(fields)


def _is_settings(node: ast.expr) -> bool:
    """``settings.x``, ``self.settings.x``, ``s.x`` or ``get_settings().x``: reads of a Settings object,
    not of another object that happens to have an attribute of the same name (a task's ``model_id``)."""
    if isinstance(node, ast.Name):
        return node.id in ("settings", "s")
    if isinstance(node, ast.Attribute):
        return node.attr == "settings"
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "get_settings"


def fields_read(module: str, seen: set[str] | None = None) -> set[str]:
    """Settings fields read by ``bedrock_jobs.<module>`` and the package modules it imports."""
    seen = set() if seen is None else seen
    if module in seen or module == "config":
        return set()
    seen.add(module)
    fields: set[str] = set()
    for node in ast.walk(ast.parse((PACKAGE / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bedrock_jobs."):
            fields |= fields_read(node.module.split(".")[1], seen)
        elif isinstance(node, ast.Attribute) and node.attr in settings_fields() and _is_settings(node.value):
            fields.add(node.attr)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "require":
            fields |= {
                a.value for a in node.args if isinstance(a, ast.Constant) and a.value in settings_fields()
            }
    return fields


def environment_read(handler_module: str) -> set[str]:
    return {
        env for field in fields_read(handler_module) for env in ENVIRONMENT_OF.get(field, [field.upper()])
    }


@pytest.fixture(scope="module")
def workspace(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return session_workspace(offline_terraform, tmp_path_factory.mktemp("tf-workspace"))


def test_the_scan_finds_what_handlers_are_known_to_read() -> None:
    assert {"JOBS_TABLE", "QUEUE_URL", "MAX_DOCUMENT_BYTES"} <= environment_read("producer")
    assert {"MODEL_ID", "JOB_LEASE_SECONDS", "BEDROCK_READ_TIMEOUT_SECONDS"} <= environment_read("consumer")
    assert {"ARCHIVE_BUCKET", "ALERTS_TOPIC_ARN", "RESULTS_TOPIC_ARN", "JOB_TTL_DAYS"} <= environment_read(
        "dlq_archiver"
    )


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_every_setting_a_handler_reads_is_set_by_the_module(workspace: Workspace, function: str) -> None:
    plan = workspace.plan(".")
    values = plan.values(f"module.{function}.aws_lambda_function.this")
    environment = set(values["environment"][0]["variables"])
    missing = environment_read(HANDLERS[function]) - environment
    assert not missing, f"{function} reads {sorted(missing)} but the module does not set them"


@pytest.mark.parametrize("function", ["consumer", "archiver"])
def test_functions_may_publish_to_every_topic_they_are_given(workspace: Workspace, function: str) -> None:
    state = workspace.applied_state(".")
    (function_values,) = [
        values
        for a, values in state_resources(state, "aws_lambda_function").items()
        if a.startswith(f"module.{function}.")
    ]
    topics = {
        v for k, v in function_values["environment"][0]["variables"].items() if k.endswith("_TOPIC_ARN")
    }
    assert "RESULTS_TOPIC_ARN" in function_values["environment"][0]["variables"]
    (policy,) = [
        values["policy"]
        for a, values in state_resources(state, "aws_iam_role_policy").items()
        if a.startswith(f"module.{function}.")
    ]
    publishable = {
        arn
        for s in rendered_statements(policy)
        if "sns:Publish" in as_list(s["Action"])
        for arn in as_list(s["Resource"])
    }
    assert topics <= publishable, f"{function} may not publish to {sorted(topics - publishable)}"
