"""Entry point of the offline providers: ``python -m tests.terraform_offline.provider aws|archive``.

Terraform runs this (through the launcher scripts of the filesystem mirror, see
``toolchain.py``) as ``terraform-provider-aws`` / ``terraform-provider-archive``.
"""

from __future__ import annotations

import sys

from .provider_base import OfflineProvider


def make_provider(name: str) -> OfflineProvider:
    if name == "aws":
        from .aws import AwsProvider

        return AwsProvider()
    if name == "archive":
        from .archive import ArchiveProvider

        return ArchiveProvider()
    raise SystemExit(f"unknown offline provider {name!r} (expected aws or archive)")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        raise SystemExit("usage: python -m tests.terraform_offline.provider aws|archive")
    from .plugin_server import serve

    return serve(make_provider(args[0]))


if __name__ == "__main__":
    sys.exit(main())
