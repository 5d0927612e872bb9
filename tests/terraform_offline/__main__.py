"""Use the offline toolchain by hand.

python -m tests.terraform_offline -chdir=examples/basic init
python -m tests.terraform_offline -chdir=examples/basic plan
eval "$(python -m tests.terraform_offline --print-env)"   # then plain `terraform …`
"""

from __future__ import annotations

import os
import shlex
import sys

from .toolchain import setup_offline_terraform


def main(argv: list[str]) -> int:
    tool = setup_offline_terraform()
    if argv[:1] == ["--print-env"]:
        for key, value in tool.env.items():
            print(f"export {key}={shlex.quote(value)}")
        print(f'export PATH={shlex.quote(str(tool.terraform.parent))}:"$PATH"')
        return 0
    os.execve(tool.terraform, [str(tool.terraform), *argv], tool.full_env())
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
