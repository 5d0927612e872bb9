"""The generated Inputs/Outputs tables in the READMEs are current, and drift is detected."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "tf_docs.py"

NEW_VARIABLE = """
variable "added_in_test" {
  description = "A variable | with a pipe and <angle> brackets."
  type        = string
}
"""


def run_docs(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_repository_readmes_are_up_to_date() -> None:
    result = run_docs("--check")
    assert result.returncode == 0, (
        "README Terraform docs drifted; run `python scripts/tf_docs.py`\n" + result.stdout + result.stderr
    )


@pytest.mark.parametrize("module", ["queue", "sqs-function", "alarms", "bucket"])
def test_every_module_readme_has_the_generated_section(module: str) -> None:
    readme = (REPO_ROOT / "modules" / module / "README.md").read_text()
    assert "<!-- BEGIN_TF_DOCS -->" in readme and "<!-- END_TF_DOCS -->" in readme
    assert "### Inputs" in readme and "### Outputs" in readme


def test_check_detects_a_new_variable_and_regeneration_fixes_it(tmp_path: Path) -> None:
    module = tmp_path / "queue"
    shutil.copytree(REPO_ROOT / "modules" / "queue", module, ignore=shutil.ignore_patterns(".terraform*"))
    readme = module / "README.md"
    intro = readme.read_text().split("<!-- BEGIN_TF_DOCS -->")[0]

    assert run_docs("--check", module).returncode == 0

    with (module / "variables.tf").open("a") as f:
        f.write(NEW_VARIABLE)

    stale = run_docs("--check", module)
    assert stale.returncode == 1
    assert str(readme) in stale.stderr
    assert "added_in_test" not in readme.read_text(), "--check must not write"

    assert run_docs(module).returncode == 0
    text = readme.read_text()
    assert text.startswith(intro), "text outside the markers must be kept"
    row = next(line for line in text.splitlines() if "[added_in_test]" in line)
    assert "A variable \\| with a pipe and &lt;angle&gt; brackets." in row
    assert row.rstrip().endswith("| n/a | yes |")
    assert run_docs("--check", module).returncode == 0


def test_check_detects_a_changed_default_and_a_removed_output(tmp_path: Path) -> None:
    module = tmp_path / "bucket"
    shutil.copytree(REPO_ROOT / "modules" / "bucket", module, ignore=shutil.ignore_patterns(".terraform*"))
    variables = module / "variables.tf"
    variables.write_text(variables.read_text().replace("default     = 30", "default     = 31", 1))
    assert run_docs("--check", module).returncode == 1

    assert run_docs(module).returncode == 0
    outputs = module / "outputs.tf"
    text = outputs.read_text()
    start = text.index('output "bucket_regional_domain_name"')
    end = text.index("}\n", start) + 2
    outputs.write_text(text[:start] + text[end:])
    assert run_docs("--check", module).returncode == 1


def test_readme_without_markers_gets_the_section_appended(tmp_path: Path) -> None:
    module = tmp_path / "mod"
    module.mkdir()
    (module / "variables.tf").write_text(
        'variable "size" {\n  description = "How big."\n  type        = number\n  default     = 3\n}\n'
    )
    (module / "outputs.tf").write_text(
        'output "doubled" {\n  description = "Twice the size."\n  value = var.size * 2\n}\n'
    )
    (module / "README.md").write_text("# mod\n\nHand-written text.\n")

    assert run_docs("--check", module).returncode == 1
    assert run_docs(module).returncode == 0
    text = (module / "README.md").read_text()
    assert text.startswith(
        "# mod\n\nHand-written text.\n\n## Terraform inputs and outputs\n\n<!-- BEGIN_TF_DOCS -->"
    )
    assert "| `number` | `3` | no |" in text
    assert "[doubled](#output_doubled) | Twice the size. |" in text
    assert run_docs("--check", module).returncode == 0
