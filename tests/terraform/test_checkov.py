"""checkov (offline: ``BC_SKIP_MAPPING=TRUE``, ``--skip-download``) finds no failed check in the
module (root + modules/) or in any example, and every suppression is an inline
``# checkov:skip=CKV_…:<reason>`` comment with a reason, which checkov itself recognises."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.plan_helpers import EXAMPLE_DIRS, REPO_ROOT, copy_repo

pytestmark = pytest.mark.terraform


def _checkov_binary() -> Path | None:
    """checkov lives in a virtualenv of its own (Makefile: .venv-checkov, passed as CHECKOV_BIN),
    because its bc-python-hcl2 dependency would shadow python-hcl2's ``hcl2`` module."""
    candidates = [
        os.environ.get("CHECKOV_BIN"),
        REPO_ROOT / ".venv-checkov" / "bin" / "checkov",
        Path(sys.executable).with_name("checkov"),
        shutil.which("checkov"),
    ]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


CHECKOV = _checkov_binary()
SCAN_TARGETS = [".", *EXAMPLE_DIRS]
SKIP_COMMENT = re.compile(r"checkov:skip")
VALID_SKIP = re.compile(r"^\s*#\s*checkov:skip=(CKV2?_[A-Z0-9]+_\d+):(?P<reason>.*\S.*)$")


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A copy without .venv (site-packages ship .tf test fixtures) and .terraform directories.
    return copy_repo(tmp_path_factory.mktemp("checkov") / "repo")


def run_checkov(directory: Path, *extra: str) -> tuple[dict[str, Any], float]:
    assert CHECKOV is not None, "checkov is not installed (make test installs it into .venv-checkov)"
    started = time.monotonic()
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(directory),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--skip-download",
            "--compact",
            *extra,
        ],
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode in (0, 1), f"checkov crashed ({result.returncode}):\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    terraform = [r for r in reports if r.get("check_type") == "terraform"]
    assert len(terraform) == 1, f"no terraform report: {result.stdout[:2000]}"
    return terraform[0], elapsed


@pytest.fixture(scope="module")
def reports(repo_copy: Path) -> dict[str, tuple[dict[str, Any], float]]:
    return {
        target: run_checkov(repo_copy / target, *(["--skip-path", "examples"] if target == "." else []))
        for target in SCAN_TARGETS
    }


def test_checkov_is_installed() -> None:
    assert CHECKOV is not None, (
        "checkov not found: set CHECKOV_BIN or run `make test` (installs .venv-checkov)"
    )


@pytest.mark.parametrize("target", SCAN_TARGETS, ids=lambda t: "module" if t == "." else t)
def test_checkov_finds_no_failed_checks(
    reports: dict[str, tuple[dict[str, Any], float]], target: str
) -> None:
    report, elapsed = reports[target]
    summary = report["summary"]
    print(f"checkov {target}: {elapsed:.1f} s, {summary}")
    assert summary["parsing_errors"] == 0, report["results"].get("parsing_errors")
    assert summary["resource_count"] > 30, "checkov scanned suspiciously few resources"
    assert summary["passed"] > 0
    failed = report["results"]["failed_checks"]
    assert summary["failed"] == len(failed)
    assert not failed, "checkov failures:\n" + "\n".join(
        f"  {c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']}:{c['file_line_range']})"
        for c in failed
    )


@pytest.mark.parametrize("target", SCAN_TARGETS, ids=lambda t: "module" if t == "." else t)
def test_checkov_skips_carry_their_inline_reasons(
    reports: dict[str, tuple[dict[str, Any], float]], target: str
) -> None:
    report, _ = reports[target]
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the module documents its accepted findings with inline skips"
    for check in skipped:
        comment = (check["check_result"].get("suppress_comment") or "").strip()
        where = f"{check['check_id']} on {check['resource']} ({check['file_path']})"
        assert comment and comment != "No comment provided", f"{where}: skipped without a reason"
        # checkov reports paths relative to the scanned directory (../../modules/… from an example).
        source = (REPO_ROOT / target / check["file_path"].lstrip("/")).resolve()
        text = source.read_text()
        assert f"checkov:skip={check['check_id']}:" in text, f"{where}: not an inline skip in {source}"


BATCH_EXAMPLE = "examples/batch-and-schedules"
# Resources of batch mode as created (count = 1), by address suffix.
BATCH_RESOURCES = (
    "module.batch_submitter[0].aws_lambda_function.this",
    "module.batch_submitter[0].aws_iam_role_policy.this",
    "module.batch_collector[0].aws_lambda_function.this",
    "module.batch_queue[0].aws_sqs_queue.this",
    "module.batch_queue[0].aws_sqs_queue.dlq",
    "aws_iam_role.batch_bedrock[0]",
    "aws_iam_role_policy.batch_bedrock[0]",
    "aws_lambda_permission.batch_job_state_change[0]",
)


def _scanned(report: dict[str, Any]) -> set[str]:
    kinds = ("passed_checks", "failed_checks", "skipped_checks")
    return {check["resource"] for kind in kinds for check in report["results"][kind]}


def test_checkov_scans_batch_mode_as_deployed(reports: dict[str, tuple[dict[str, Any], float]]) -> None:
    """Only the batch example turns batch mode on. checkov evaluates ``count``: where batch mode is off it
    reports the batch blocks unevaluated (no instance key), so only this example has checkov check batch
    mode's resources as they are created."""
    assert BATCH_EXAMPLE in SCAN_TARGETS
    batch = _scanned(reports[BATCH_EXAMPLE][0])
    for suffix in BATCH_RESOURCES:
        assert any(r.endswith(suffix) for r in batch), f"checkov did not scan {suffix} in {BATCH_EXAMPLE}"
    complete = _scanned(reports["examples/complete"][0])
    assert not [r for r in complete if r.endswith(BATCH_RESOURCES)], "examples/complete has batch mode off"


def _terraform_files() -> list[Path]:
    ignored = {".venv", ".git", ".terraform", ".terraform-offline", "node_modules"}
    return sorted(p for p in REPO_ROOT.rglob("*.tf") if not ignored & set(p.relative_to(REPO_ROOT).parts))


def test_every_suppression_is_inline_with_a_reason() -> None:
    problems = []
    skips = 0
    for tf_file in _terraform_files():
        for lineno, line in enumerate(tf_file.read_text().splitlines(), start=1):
            if SKIP_COMMENT.search(line):
                skips += 1
                m = VALID_SKIP.match(line)
                if not m or len(m.group("reason").strip()) < 10:
                    problems.append(f"{tf_file.relative_to(REPO_ROOT)}:{lineno}: {line.strip()}")
    assert skips > 0
    assert not problems, "suppressions need `# checkov:skip=CKV_…:<reason>`:\n" + "\n".join(problems)


def test_no_suppression_outside_the_terraform_files() -> None:
    # Skips belong next to the resource they excuse, not in a global config or a baseline.
    config_dirs = [REPO_ROOT, *(p.parent for p in _terraform_files())]
    for name in (".checkov.yaml", ".checkov.yml", ".checkov.baseline"):
        found = [d / name for d in config_dirs if (d / name).exists()]
        assert not found, f"{found} would suppress checks globally"
    for path in (REPO_ROOT / "Makefile", REPO_ROOT / "pyproject.toml"):
        assert "--skip-check" not in path.read_text(), f"{path.name} suppresses checks globally"
