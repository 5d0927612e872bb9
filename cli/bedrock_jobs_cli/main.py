"""``bedrock-jobs``: the operator CLI (SPEC "Operator CLI").

    bedrock-jobs [--stack DIR | --outputs FILE] [--region R] [--profile P] [--json] COMMAND …

Each command lives in its own module with ``register(subparsers, common)``, which adds its parser and
sets ``handler(args, cli) -> int`` as the parser default. Exit status: 0 done, 1 the command failed
(``CliError``: an AWS error, a job that does not exist, …), 2 bad usage (argparse's own convention).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from . import dlq_commands, job_commands, plan
from .errors import CliError

#: Modules that add commands; each has ``register(subparsers, common)``.
COMMAND_MODULES: tuple[Any, ...] = (job_commands, dlq_commands, plan)


@dataclass
class Cli:
    """What a command handler gets besides its arguments: where to write, and how to answer."""

    args: argparse.Namespace
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)

    @property
    def as_json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def emit(self, data: Any, text: Callable[[Any], str] | str | None = None) -> None:
        """``data`` as JSON with ``--json``; otherwise ``text`` (a string, or made from ``data``)."""
        if self.as_json:
            self.out.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
            return
        rendered = text(data) if callable(text) else text
        if rendered is None:
            rendered = json.dumps(data, indent=2, default=str, ensure_ascii=False)
        self.out.write(rendered if rendered.endswith("\n") else rendered + "\n")


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts, before or after its name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="bedrock-jobs",
        description="Operate a deployed bedrock-jobs stack: submit and inspect jobs, drain the DLQ, replay "
        "archived failures, plan capacity.",
        parents=[common],
    )
    stack = parser.add_mutually_exclusive_group()
    stack.add_argument(
        "--stack", metavar="DIR", help="Terraform directory of the stack (runs `terraform output -json`)"
    )
    stack.add_argument("--outputs", metavar="FILE", help="a saved `terraform output -json`")
    parser.add_argument("--region", help="AWS region (default: the AWS CLI's)")
    parser.add_argument("--profile", help="AWS named profile (default: the AWS CLI's)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers, common)
    return parser


def main(argv: list[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on bad usage
    cli = Cli(args, out or sys.stdout, err or sys.stderr)
    try:
        return int(args.handler(args, cli))
    except CliError as exc:
        cli.err.write(f"bedrock-jobs: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        cli.err.write("\ninterrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
