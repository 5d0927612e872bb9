"""Use the offline toolchain by hand.

python -m tests.terraform_offline -chdir=examples/basic init
python -m tests.terraform_offline -chdir=examples/basic plan
eval "$(python -m tests.terraform_offline --print-env)"   # then plain `terraform …`
TF_OFFLINE_AWS_VERSION=6.28.0 python -m tests.terraform_offline -chdir=examples/basic init

TF_OFFLINE_AWS_VERSION / TF_OFFLINE_ARCHIVE_VERSION choose the provider releases the mirror
serves (default: schema.AWS_VERSION / schema.ARCHIVE_VERSION).
"""

from __future__ import annotations

import os
import shlex
import sys

from .schema import ARCHIVE_VERSION, AWS_VERSION
from .toolchain import setup_offline_terraform

AWS_VERSION_ENV = "TF_OFFLINE_AWS_VERSION"
ARCHIVE_VERSION_ENV = "TF_OFFLINE_ARCHIVE_VERSION"


def main(argv: list[str]) -> int:
    tool = setup_offline_terraform(
        aws_version=os.environ.get(AWS_VERSION_ENV) or AWS_VERSION,
        archive_version=os.environ.get(ARCHIVE_VERSION_ENV) or ARCHIVE_VERSION,
    )
    if argv[:1] == ["--print-env"]:
        for key, value in tool.env.items():
            print(f"export {key}={shlex.quote(value)}")
        print(f'export PATH={shlex.quote(str(tool.terraform.parent))}:"$PATH"')
        return 0
    os.execve(tool.terraform, [str(tool.terraform), *argv], tool.full_env())
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
