"""pytest fixtures for Terraform tests; import them in a conftest.py::

    from tests.terraform_offline.fixtures import (  # noqa: F401
        offline_terraform, terraform_bin, terraform_env, tftest_factory,
    )

Fixtures:

``offline_terraform`` (session)
    :class:`~tests.terraform_offline.toolchain.OfflineTerraform`: ``.run(args, cwd)``,
    ``.check(args, cwd)``, ``.init(cwd)``, ``.plan_json(cwd, args)``, ``.tftest(tfdir)``.
``terraform_env`` (session)
    ``dict`` of environment variables selecting the offline toolchain (CLI config,
    ``TF_IN_AUTOMATION``, ``CHECKPOINT_DISABLE``, ``TF_OFFLINE_TERRAFORM`` = wrapper path);
    pass it to :func:`~tests.terraform_offline.toolchain.run_terraform`.
``terraform_bin`` (session)
    ``Path`` of the ``terraform`` wrapper script.
``tftest_factory``
    ``tftest_factory(tfdir, **kwargs) -> tftest.TerraformTest`` using the wrapper binary.
``offline_terraform_for`` (session)
    factory ``offline_terraform_for(aws_version=AWS_VERSION, archive_version=ARCHIVE_VERSION)
    -> OfflineTerraform`` whose mirror holds only those provider versions (one toolchain per
    pair and session).
``offline_terraform_floor`` (session)
    ``offline_terraform_for(aws_version=AWS_FLOOR_VERSION)``: hashicorp/aws 6.28.0.

Every test using them should carry ``@pytest.mark.terraform``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .schema import ARCHIVE_VERSION, AWS_FLOOR_VERSION, AWS_VERSION
from .toolchain import OfflineTerraform, setup_offline_terraform


@pytest.fixture(scope="session")
def offline_terraform() -> OfflineTerraform:
    # One toolchain (wrapper, provider mirror, CLI config) per session, in the cache dir
    # .terraform-offline/ at the repo root (or $TF_OFFLINE_CACHE_DIR), reused across runs.
    return setup_offline_terraform()


@pytest.fixture(scope="session")
def terraform_env(offline_terraform: OfflineTerraform) -> dict[str, str]:
    return dict(offline_terraform.env)


@pytest.fixture(scope="session")
def terraform_bin(offline_terraform: OfflineTerraform) -> Path:
    return offline_terraform.terraform


@pytest.fixture
def tftest_factory(offline_terraform: OfflineTerraform) -> Callable[..., Any]:
    def make(tfdir: str | Path, **kwargs: Any) -> Any:
        return offline_terraform.tftest(tfdir, **kwargs)

    return make


@pytest.fixture(scope="session")
def offline_terraform_for() -> Callable[..., OfflineTerraform]:
    made: dict[tuple[str, str], OfflineTerraform] = {}

    def make(aws_version: str = AWS_VERSION, archive_version: str = ARCHIVE_VERSION) -> OfflineTerraform:
        key = (aws_version, archive_version)
        if key not in made:
            made[key] = setup_offline_terraform(aws_version=aws_version, archive_version=archive_version)
        return made[key]

    return make


@pytest.fixture(scope="session")
def offline_terraform_floor(offline_terraform_for: Callable[..., OfflineTerraform]) -> OfflineTerraform:
    return offline_terraform_for(aws_version=AWS_FLOOR_VERSION)
