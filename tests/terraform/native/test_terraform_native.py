"""Runs the native ``terraform test`` suites in this directory and checks that they cover every
``validation`` block of the module they test, precisely.

Layout: ``native/root/*.tftest.hcl`` test the root module, ``native/<name>/*.tftest.hcl`` test
``modules/<name>``. Each suite runs on the session's copy of the repository with
``terraform test -test-directory=tests/terraform/native/<suite>`` from the configuration directory
(Terraform only accepts a test directory inside the configuration, so a module's suite is copied to
the same relative path inside the module's copy).

Validation tests follow one convention, checked here:

* each run that feeds bad values says which rule(s) it targets in a comment right above it,
  ``# rule: <variable>[<index of the validation block, from 0>]``, and carries
  ``expect_failures = [var.<variable>]`` on one line, ``parallel = true`` and its own ``state_key``;
* every validation block of the configuration is targeted by at least one run;
* re-run without ``expect_failures``, each such run fails with exactly the targeted rules (Terraform
  names the rule as ``validation rule at <file>:<line>``) and nothing else, so a run cannot pass
  because some other rule happened to reject the value.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.plan_helpers import MODULE_DIRS, NATIVE_DIR, Workspace, session_workspace
from tests.terraform_offline import OfflineTerraform

pytestmark = pytest.mark.terraform

SUITES = {
    p.name: ("." if p.name == "root" else f"modules/{p.name}")
    for p in sorted(NATIVE_DIR.iterdir())
    if p.is_dir()
}
SUITE_FILES = [(suite, f.name) for suite in SUITES for f in sorted((NATIVE_DIR / suite).glob("*.tftest.hcl"))]
TEST_DIR = "tests/terraform/native"
PRECISION_DIR = "tests/terraform/native-precision"

# ------------------------------------------------------------------------------------------
# Parsing: validation blocks of a configuration, run blocks of a test file
# ------------------------------------------------------------------------------------------

Rule = tuple[str, int]  # (variable, index of its validation block)


def validation_rules(config_dir: Path) -> dict[tuple[str, int], Rule]:
    """(file name, line of the ``validation`` keyword) → (variable, index), for every .tf file."""
    rules: dict[tuple[str, int], Rule] = {}
    for tf_file in sorted(config_dir.glob("*.tf")):
        variable: str | None = None
        index = 0
        for lineno, line in enumerate(tf_file.read_text().splitlines(), start=1):
            if m := re.match(r'^variable\s+"([^"]+)"', line):
                variable, index = m.group(1), 0
            elif line.startswith("}"):
                variable = None
            elif variable and re.match(r"^\s+validation\s*\{", line):
                rules[(tf_file.name, lineno)] = (variable, index)
                index += 1
    return rules


@dataclass
class RunBlock:
    name: str
    body: str
    rules: set[Rule] = field(default_factory=set)
    expect_failures: list[str] = field(default_factory=list)
    # Resources whose lifecycle precondition the run expects to fail ("# precondition: <address>").
    preconditions: set[str] = field(default_factory=set)

    @property
    def parallel(self) -> bool:
        return re.search(r"^\s*parallel\s*=\s*true\s*$", self.body, re.M) is not None

    @property
    def state_key(self) -> str | None:
        m = re.search(r'^\s*state_key\s*=\s*"([^"]+)"', self.body, re.M)
        return m.group(1) if m else None


_RUN = re.compile(r'((?:^[ \t]*#[^\n]*\n)*)^run "([^"]+)" \{\n(.*?)^\}', re.M | re.S)


def run_blocks(text: str) -> list[RunBlock]:
    blocks = []
    for comments, name, body in _RUN.findall(text):
        block = RunBlock(name, body)
        block.preconditions = set(re.findall(r"#\s*precondition:\s*(\S+)", comments))
        for spec in re.findall(r"#\s*rule:\s*(.+)", comments):
            for var, idx in re.findall(r"([A-Za-z0-9_]+)\[(\d+)\]", spec):
                block.rules.add((var, int(idx)))
        if m := re.search(r"^\s*expect_failures\s*=\s*\[(.*)\]\s*$", body, re.M):
            block.expect_failures = re.findall(r"var\.([A-Za-z0-9_]+)", m.group(1))
        blocks.append(block)
    return blocks


def suite_blocks(suite: str) -> dict[str, list[RunBlock]]:
    return {f.name: run_blocks(f.read_text()) for f in sorted((NATIVE_DIR / suite).glob("*.tftest.hcl"))}


# ------------------------------------------------------------------------------------------
# Running terraform test
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return session_workspace(offline_terraform, tmp_path_factory.mktemp("tf-workspace"))


def _config_with_tests(workspace: Workspace, suite: str, test_dir: str, source: Path) -> Path:
    """Initialised copy of the suite's configuration with ``source`` copied to ``test_dir/suite``."""
    cwd = workspace.init(SUITES[suite])
    dest = cwd / test_dir / suite
    if dest.resolve() != source.resolve():
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(source, dest)
    return cwd


@dataclass
class TfTestReport:
    runs: dict[str, str] = field(default_factory=dict)  # run name → pass / fail / skip / error
    diagnostics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # run name → diagnostics
    file_diagnostics: list[dict[str, Any]] = field(default_factory=list)
    raw: str = ""

    def explain(self, run: str | None = None) -> str:
        diags = self.diagnostics.get(run, []) if run else self.file_diagnostics
        return "\n".join(f"  {d.get('summary')}: {d.get('detail', '')}" for d in diags)


def run_terraform_test(
    offline_terraform: OfflineTerraform, cwd: Path, test_dir: str, test_file: str
) -> TfTestReport:
    result = offline_terraform.run(
        ["test", "-no-color", "-json", f"-test-directory={test_dir}", f"-filter={test_dir}/{test_file}"],
        cwd,
    )
    report = TfTestReport(raw=result.stdout + result.stderr)
    for line in result.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        run = message.get("@testrun")
        if message.get("type") == "test_run" and message["test_run"].get("progress") == "complete":
            report.runs[message["test_run"]["run"]] = message["test_run"]["status"]
        elif message.get("type") == "diagnostic":
            if run:
                report.diagnostics.setdefault(run, []).append(message["diagnostic"])
            else:
                report.file_diagnostics.append(message["diagnostic"])
    return report


# ------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------


def test_every_module_has_a_native_suite() -> None:
    assert set(SUITES) == {"root", *(Path(d).name for d in MODULE_DIRS)}
    for suite in SUITES:
        assert list((NATIVE_DIR / suite).glob("*.tftest.hcl")), f"native/{suite} has no .tftest.hcl files"


@pytest.mark.parametrize(("suite", "test_file"), SUITE_FILES, ids=[f"{s}/{f}" for s, f in SUITE_FILES])
def test_native_terraform_test_file(
    workspace: Workspace, offline_terraform: OfflineTerraform, suite: str, test_file: str
) -> None:
    cwd = _config_with_tests(workspace, suite, TEST_DIR, NATIVE_DIR / suite)
    test_dir = f"{TEST_DIR}/{suite}"
    expected = [b.name for b in run_blocks((NATIVE_DIR / suite / test_file).read_text())]
    assert expected, f"{test_file} has no run blocks"

    report = run_terraform_test(offline_terraform, cwd, test_dir, test_file)

    assert not report.file_diagnostics, f"{suite}/{test_file}:\n{report.explain()}\n{report.raw[-3000:]}"
    not_passed = {run: status for run, status in report.runs.items() if status != "pass"}
    assert not not_passed, "\n".join(
        f"run {run!r}: {status}\n{report.explain(run)}" for run, status in not_passed.items()
    )
    # Every run block ran (none skipped or silently missing).
    assert sorted(report.runs) == sorted(expected), report.raw[-3000:]


@pytest.mark.parametrize("suite", list(SUITES))
def test_every_validation_rule_is_targeted(workspace: Workspace, suite: str) -> None:
    rules = set(validation_rules(workspace.path(SUITES[suite])).values())
    assert rules, f"no validation blocks found for {suite}"
    targeted: set[Rule] = set()
    problems = []
    for test_file, blocks in suite_blocks(suite).items():
        for block in blocks:
            where = f"{suite}/{test_file} run {block.name!r}"
            if block.expect_failures and not block.rules:
                problems.append(f"{where}: expect_failures without a '# rule: var[i]' comment")
            if block.rules:
                targeted |= block.rules
                if unknown := block.rules - rules:
                    problems.append(f"{where}: targets rules that do not exist: {sorted(unknown)}")
                if {var for var, _ in block.rules} != set(block.expect_failures):
                    problems.append(f"{where}: expect_failures {block.expect_failures} != targeted variables")
                if not block.parallel or block.state_key != block.name:
                    problems.append(f'{where}: needs parallel = true and state_key = "{block.name}"')
    missing = sorted(rules - targeted)
    assert not missing, f"validation rules of {SUITES[suite]} no run targets (gaps): {missing}"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("suite", list(SUITES))
def test_validation_runs_fail_for_the_targeted_rule_only(
    workspace: Workspace, offline_terraform: OfflineTerraform, tmp_path: Path, suite: str
) -> None:
    """Re-run every file that has expect_failures with them removed: each targeted run must fail
    with exactly its targeted rules, every other run must still pass."""
    source = tmp_path / suite
    source.mkdir()
    files = []
    for test_file in sorted((NATIVE_DIR / suite).glob("*.tftest.hcl")):
        text = test_file.read_text()
        if re.search(r"^\s*expect_failures\s*=", text, re.M):
            (source / test_file.name).write_text(re.sub(r"^\s*expect_failures\s*=.*\n", "", text, flags=re.M))
            files.append(test_file.name)
    assert files, f"{suite} has no validation tests"
    cwd = _config_with_tests(workspace, suite, PRECISION_DIR, source)
    rule_at = validation_rules(cwd)

    problems = []
    for test_file in files:
        blocks = run_blocks((source / test_file).read_text())
        report = run_terraform_test(offline_terraform, cwd, f"{PRECISION_DIR}/{suite}", test_file)
        assert not report.file_diagnostics, report.explain()
        for block in blocks:
            status = report.runs.get(block.name)
            diagnostics = report.diagnostics.get(block.name, [])
            if block.preconditions:
                summaries = {d.get("summary") for d in diagnostics}
                if status not in ("fail", "error") or summaries != {"Resource precondition failed"}:
                    problems.append(
                        f"{test_file} run {block.name!r}: status {status}, expected only a failed "
                        f"precondition of {sorted(block.preconditions)}, got {sorted(map(str, summaries))}"
                    )
                continue
            if not block.rules:
                if status != "pass":
                    problems.append(f"{test_file} run {block.name!r}: {status}\n{report.explain(block.name)}")
                continue
            failed: set[Rule] = set()
            others = []
            for diag in diagnostics:
                m = re.search(r"validation rule at ([^:\s]+):(\d+),", diag.get("detail", ""))
                if m and (m.group(1), int(m.group(2))) in rule_at:
                    failed.add(rule_at[(m.group(1), int(m.group(2)))])
                else:
                    others.append(f"{diag.get('summary')}: {diag.get('detail')}")
            if status not in ("fail", "error") or failed != block.rules or others:
                problems.append(
                    f"{test_file} run {block.name!r}: status {status}, targets {sorted(block.rules)}, "
                    f"failed {sorted(failed)}"
                    + ("\n  other diagnostics: " + "\n  ".join(others) if others else "")
                )
    assert not problems, "\n".join(problems)


def test_parsers_find_rules_and_annotated_runs(tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text(
        'variable "a" {\n  type = number\n\n  validation {\n    condition     = var.a > 0\n'
        '    error_message = "a"\n  }\n\n  validation {\n    condition     = var.a < 9\n'
        '    error_message = "a"\n  }\n}\n\nvariable "b" {\n  type = string\n}\n'
    )
    assert validation_rules(tmp_path) == {("variables.tf", 4): ("a", 0), ("variables.tf", 9): ("a", 1)}
    blocks = run_blocks(
        '# rule: a[1]\nrun "too_big" {\n  command   = plan\n  parallel  = true\n  state_key = "too_big"\n\n'
        "  variables {\n    a = 10\n  }\n\n  expect_failures = [var.a]\n}\n\n"
        'run "fine" {\n  command = plan\n}\n'
    )
    assert [(b.name, b.rules, b.expect_failures, b.parallel, b.state_key) for b in blocks] == [
        ("too_big", {("a", 1)}, ["a"], True, "too_big"),
        ("fine", set(), [], False, None),
    ]
