"""``terraform fmt -check`` of the whole repository, and ``init`` + ``validate`` of the root module,
every sub-module and every example, with Terraform 1.15 checking each argument against the real
hashicorp/aws 6.47.0 schema (tests/terraform_offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.terraform.plan_helpers import (
    CONFIG_DIRS,
    REPO_ROOT,
    Workspace,
    config_id,
    copy_repo,
    session_workspace,
)
from tests.terraform_offline import OfflineTerraform, copy_tree

pytestmark = pytest.mark.terraform


@pytest.fixture(scope="module")
def workspace(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return session_workspace(offline_terraform, tmp_path_factory.mktemp("tf-workspace"))


def test_the_repository_has_the_expected_configurations() -> None:
    # Guards the parametrization below: a new module or example is picked up, none goes missing.
    assert {"modules/queue", "modules/sqs-function", "modules/alarms", "modules/bucket"} <= set(CONFIG_DIRS)
    assert {
        "examples/complete",
        "examples/fifo",
        "examples/existing-topic-and-kms",
        "examples/batch-and-schedules",
    } <= set(CONFIG_DIRS)


def _fmt_check(offline_terraform: OfflineTerraform, cwd: Path) -> tuple[int, str]:
    result = offline_terraform.run(["fmt", "-check", "-recursive", "-diff", "-no-color"], cwd)
    return result.returncode, result.stdout + result.stderr


def test_terraform_fmt_check_recursive(offline_terraform: OfflineTerraform, tmp_path: Path) -> None:
    # On a copy without .venv/.terraform, so only the project's own .tf and .tftest.hcl files count.
    copy = copy_repo(tmp_path / "repo")
    tf_files = [p for p in copy.rglob("*.tf")] + [p for p in copy.rglob("*.tftest.hcl")]
    assert len(tf_files) > 20, "fmt would check suspiciously few files"
    status, output = _fmt_check(offline_terraform, copy)
    assert status == 0, (
        f"terraform fmt -check found unformatted files (run `terraform fmt -recursive`):\n{output}"
    )
    assert output.strip() == ""


def test_terraform_fmt_check_detects_misformatting(
    offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    copy = copy_tree(REPO_ROOT / "modules" / "queue", tmp_path / "queue")
    (copy / "versions.tf").write_text(
        (copy / "versions.tf").read_text().replace("  required_version =", "required_version=")
    )
    status, output = _fmt_check(offline_terraform, copy)
    assert status == 3
    assert "versions.tf" in output


@pytest.mark.parametrize("rel", CONFIG_DIRS, ids=config_id)
def test_init_and_validate(workspace: Workspace, offline_terraform: OfflineTerraform, rel: str) -> None:
    cwd = workspace.init(rel)
    lock = (cwd / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock
    result = offline_terraform.run(["validate", "-json", "-no-color"], cwd)
    report = json.loads(result.stdout)
    problems = [
        f"{d['severity']}: {d['summary']}: {d.get('detail', '')} ({d.get('range', {}).get('filename')}:"
        f"{d.get('range', {}).get('start', {}).get('line')})"
        for d in report["diagnostics"]
    ]
    assert result.returncode == 0 and report["valid"], "\n".join(problems) or result.stderr
    assert report["error_count"] == 0
    assert report["warning_count"] == 0, "\n".join(problems)
