"""The Lambda package Terraform builds (the ``archive_file`` resource in packaging.tf, uploaded to the
payload bucket) holds the ``bedrock_jobs`` package and nothing else, and every handler the planned
functions name imports from it alone.

The copy of the repository is seeded with build litter (``__pycache__``, ``.pyc``, ``.pytest_cache``,
``.DS_Store``) so the ``excludes`` are really exercised; the offline archive provider builds the zip
for real when the apply creates the archive (tests/terraform/test_apply_classes.py checks that this
happens in the apply job's own checkout).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.plan_helpers import REPO_ROOT, Plan, copy_repo
from tests.terraform_offline import OfflineTerraform

pytestmark = pytest.mark.terraform

SOURCE = REPO_ROOT / "functions"
LITTER = (
    "bedrock_jobs/__pycache__/consumer.cpython-312.pyc",
    "bedrock_jobs/__pycache__/nested/deep.cpython-312.pyc",
    "bedrock_jobs/stray.pyc",
    "bedrock_jobs/.pytest_cache/v/cache/lastfailed",
    "bedrock_jobs/.DS_Store",
)


@pytest.fixture(scope="module")
def packaged(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    repo = copy_repo(tmp_path_factory.mktemp("packaging") / "repo")
    for rel in LITTER:
        path = repo / "functions" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"litter")
    offline_terraform.init(repo)
    plan = Plan(offline_terraform.plan_json(repo))
    offline_terraform.check(
        [
            "apply",
            "-no-color",
            "-input=false",
            "-auto-approve",
            "-lock=false",
            "-target=archive_file.functions",
        ],
        repo,
    )
    state = json.loads(offline_terraform.check(["show", "-json", "-no-color"], repo).stdout)
    (archive,) = [
        r["values"]
        for r in state["values"]["root_module"]["resources"]
        if r["address"] == "archive_file.functions"
    ]
    return {"repo": repo, "plan": plan, "archive": archive, "zip": repo / archive["output_path"]}


def expected_sources() -> set[str]:
    return {
        p.relative_to(SOURCE).as_posix()
        for p in SOURCE.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.suffix != ".pyc"
        and ".pytest_cache" not in p.parts
        and p.name != ".DS_Store"
    }


def test_apply_builds_the_zip_the_functions_deploy(packaged: dict[str, Any]) -> None:
    data = packaged["zip"].read_bytes()
    archive = packaged["archive"]
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert archive["output_base64sha256"] == sha
    assert archive["output_size"] == len(data)

    plan = packaged["plan"]
    package = plan.values("aws_s3_object.package")
    assert package["source"] == plan.values("archive_file.functions")["output_path"]
    # The version in the key and the functions' code trigger are known at plan, from the sources.
    version = package["source_hash"][:16]
    assert package["key"] == f"packages/bedrock-jobs-functions-{version}.zip"
    assert version in archive["output_path"]
    functions = plan.resources("aws_lambda_function")
    assert len(functions) == 3
    triggers = {f["source_code_hash"] for f in functions.values()}
    assert len(triggers) == 1 and isinstance(next(iter(triggers)), str), (
        "one known code trigger for all three"
    )
    for address, function in functions.items():
        assert function["s3_key"] == package["key"], address
        assert function["filename"] is None, f"{address} must not need a local file at apply"


def test_zip_holds_the_package_and_no_build_litter(packaged: dict[str, Any]) -> None:
    with zipfile.ZipFile(packaged["zip"]) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist() if not i.is_dir()}
    for required in (
        "bedrock_jobs/__init__.py",
        "bedrock_jobs/producer.py",
        "bedrock_jobs/consumer.py",
        "bedrock_jobs/dlq_archiver.py",
        "bedrock_jobs/config.py",
    ):
        assert required in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if ".pytest_cache" in n or n.endswith(".DS_Store")]
    assert all(n.startswith("bedrock_jobs/") for n in names), "only the bedrock_jobs package is shipped"
    assert set(names) == expected_sources(), "the zip must hold exactly the package's sources"
    assert set(modes.values()) == {0o644}, f"file modes must be fixed to 0644: {modes}"


def test_every_planned_handler_imports_from_the_zip_alone(packaged: dict[str, Any], tmp_path: Path) -> None:
    handlers = sorted({f["handler"] for f in packaged["plan"].resources("aws_lambda_function").values()})
    assert handlers == sorted(
        [
            "bedrock_jobs.producer.handler",
            "bedrock_jobs.consumer.handler",
            "bedrock_jobs.dlq_archiver.handler",
        ]
    )
    extracted = tmp_path / "task"
    with zipfile.ZipFile(packaged["zip"]) as zf:
        zf.extractall(extracted)

    # Like the Lambda runtime: the package dir plus boto3 (runtime) and Powertools (layer), here from
    # the venv's site-packages, which -S keeps from adding anything else (the editable install of
    # this repo included). No environment variables at all: configuration is read at first call.
    site_packages = sysconfig.get_paths()["purelib"]
    code = textwrap.dedent(
        """
        import importlib, json, sys
        results = {}
        for handler in sys.argv[1:]:
            module_name, _, attr = handler.rpartition(".")
            module = importlib.import_module(module_name)
            results[handler] = {"callable": callable(getattr(module, attr)), "file": module.__file__}
        print(json.dumps(results))
        """
    )
    result = subprocess.run(
        [sys.executable, "-S", "-P", "-c", code, *handlers],
        cwd=tmp_path,
        env={"PYTHONPATH": os.pathsep.join([str(extracted), site_packages]), "PATH": os.defpath},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout.strip().splitlines()[-1])
    for handler in handlers:
        assert results[handler]["callable"], f"{handler} is not callable"
        assert Path(results[handler]["file"]).is_relative_to(extracted), (
            f"{handler} was not imported from the zip"
        )
