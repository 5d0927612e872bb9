"""Entry point of the offline providers: ``python -m tests.terraform_offline.provider aws|archive [VERSION]``.

Terraform runs this (through the launcher scripts of the filesystem mirror, see
``toolchain.py``) as ``terraform-provider-aws`` / ``terraform-provider-archive``. The launcher
of a non-default version passes that version, which selects the schema (aws) or the release
behaviour (archive) the stand-in imitates.
"""

from __future__ import annotations

import sys

from .provider_base import OfflineProvider


def make_provider(name: str, version: str | None = None) -> OfflineProvider:
    if name == "aws":
        from .aws import AwsProvider

        return AwsProvider(version) if version else AwsProvider()
    if name == "archive":
        from .archive import ArchiveProvider

        return ArchiveProvider(version) if version else ArchiveProvider()
    raise SystemExit(f"unknown offline provider {name!r} (expected aws or archive)")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        raise SystemExit("usage: python -m tests.terraform_offline.provider aws|archive [VERSION]")
    from .plugin_server import serve

    # go-plugin starts plugins without arguments, so anything after the name is the launcher's.
    return serve(make_provider(args[0], args[1] if len(args) > 1 else None))


if __name__ == "__main__":
    sys.exit(main())
