"""Fixtures for Terraform tests: the offline toolchain from tests/terraform_offline.

Helpers for test modules: ``from tests.terraform_offline import run_terraform, copy_tree``.
"""

from tests.terraform_offline.fixtures import (  # noqa: F401 - re-exported as fixtures
    offline_terraform,
    offline_terraform_floor,
    offline_terraform_for,
    terraform_bin,
    terraform_env,
    tftest_factory,
)
