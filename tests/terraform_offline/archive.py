"""Offline registry.terraform.io/hashicorp/archive (2.4.0-2.7.1): ``archive_file`` built for real.

The data source writes the archive while Terraform plans -- exactly when the real provider
does -- so a plan of the module produces the Lambda zip and known hashes. Behaviour follows
internal/provider/zip_archiver.go of the provider: entries in lexical walk order, names
relative to ``source_dir``, Deflate, a fixed timestamp (so identical inputs give identical
bytes), ``excludes`` matched as doublestar globs against relative paths (a matching
directory is skipped whole), symlinked directories followed unless
``exclude_symlink_directories``, an error rather than an empty archive, and
``output_file_mode`` applied to every entry. ``tar.gz`` is supported as well.

Older releases differ, per the provider's CHANGELOG.md (see :class:`ArchiveBehaviour`):
before 2.5.0 ``excludes`` are literal relative paths, before 2.6.0 there is no ``tar.gz``,
before 2.4.2 an empty directory gives an empty archive, and before 2.7.0 the
``archive_file`` *resource* is deprecated.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import io
import re
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cty
from .provider_base import Diagnostic, OfflineProvider, ProviderError
from .schema import (
    ARCHIVE_RESOURCE_DEPRECATION,
    ARCHIVE_VERSION,
    archive_resource_deprecated,
    load_archive_schema,
    version_tuple,
)

# Go's zip writer stores the zero time.Time as the earliest DOS date.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a doublestar pattern (``*``, ``**``, ``?``, ``[...]``, ``{a,b}``) to a regex."""
    out: list[str] = []
    i = 0
    depth = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                at_end = i + 2 == len(pattern) or pattern[i + 2] == "/"
                if at_start and at_end:
                    # "**/" matches zero or more whole directories; a trailing "**" anything.
                    if i + 2 < len(pattern):
                        out.append("(?:.*/)?")
                        i += 3
                    else:
                        out.append(".*")
                        i += 2
                    continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!") or body.startswith("^"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def path_matches(pattern: str, rel_path: str) -> bool:
    """doublestar.PathMatch(pattern, rel_path) for the patterns modules use."""
    return bool(pattern) and _glob_regex(pattern).match(rel_path) is not None


@dataclass(frozen=True)
class ArchiveBehaviour:
    """What differs between hashicorp/archive releases (CHANGELOG.md of the provider)."""

    version: str = ARCHIVE_VERSION

    @property
    def glob_excludes(self) -> bool:
        # 2.5.0: "Add glob pattern matching support to the `excludes` attribute" (#354). Before
        # it, zip_archiver.go's checkMatch compared each exclude with the entry's relative path
        # using == (git show v2.4.2:internal/provider/zip_archiver.go).
        return version_tuple(self.version) >= (2, 5, 0)

    @property
    def tar_gz(self) -> bool:
        # 2.6.0: "Add support for creating `tar.gz` archive files" (#277); before, only "zip"
        # was in archiverBuilders and anything else was "archive type not supported".
        return version_tuple(self.version) >= (2, 6, 0)

    @property
    def empty_archive_error(self) -> bool:
        # 2.4.2: "Return error when generated archive would be empty" (#298).
        return version_tuple(self.version) >= (2, 4, 2)

    def excluded(self, pattern: str, rel_path: str) -> bool:
        if self.glob_excludes:
            return path_matches(pattern, rel_path)
        return bool(pattern) and pattern == rel_path


_CURRENT = ArchiveBehaviour()


@dataclass(frozen=True)
class Entry:
    name: str  # path inside the archive, with forward slashes
    source: Path | None  # file to read, or None with content
    content: bytes | None
    mode: int  # st_mode of the file (type + permission bits)


def _walk_dir(
    root: Path,
    base: str,
    excludes: list[str],
    skip_symlink_dirs: bool,
    behaviour: ArchiveBehaviour = _CURRENT,
) -> Iterator[Entry]:
    # filepath.Walk visits entries in lexical order of their names.
    for child in sorted(root.iterdir(), key=lambda p: p.name):
        rel = f"{base}/{child.name}" if base else child.name
        excluded = any(behaviour.excluded(p, rel) for p in excludes)
        if child.is_symlink():
            if child.is_dir():
                if not excluded and not skip_symlink_dirs:
                    yield from _walk_dir(child.resolve(), rel, excludes, skip_symlink_dirs, behaviour)
                continue
            if excluded:
                continue
            yield Entry(rel, child, None, child.stat().st_mode)
        elif child.is_dir():
            if not excluded:
                yield from _walk_dir(child, rel, excludes, skip_symlink_dirs, behaviour)
        elif not excluded:
            yield Entry(rel, child, None, child.lstat().st_mode)


def collect_entries(config: dict[str, Any], behaviour: ArchiveBehaviour = _CURRENT) -> list[Entry]:
    if config.get("source_dir") is not None:
        src = Path(config["source_dir"])
        if not src.is_dir():
            raise ProviderError(
                "Archive creation error",
                f"error archiving directory: could not archive missing directory: {src}",
            )
        entries = list(
            _walk_dir(
                src,
                "",
                list(config.get("excludes") or []),
                bool(config.get("exclude_symlink_directories")),
                behaviour,
            )
        )
        if not entries and behaviour.empty_archive_error:
            raise ProviderError(
                "Archive creation error",
                "error archiving directory: archive has not been created as it would be empty",
            )
        return entries
    if config.get("source_file") is not None:
        src = Path(config["source_file"])
        if not src.is_file():
            raise ProviderError(
                "Archive creation error", f"error archiving file: could not archive missing file: {src}"
            )
        return [Entry(src.name, src, None, src.stat().st_mode)]
    if config.get("source_content_filename") is not None:
        content = (config.get("source_content") or "").encode()
        return [Entry(config["source_content_filename"], None, content, stat.S_IFREG | 0o644)]
    sources = config.get("source") or []
    if sources:
        by_name = {s["filename"]: s["content"].encode() for s in sources}
        return [Entry(name, None, by_name[name], stat.S_IFREG | 0o644) for name in sorted(by_name)]
    raise ProviderError(
        "Invalid Attribute Combination",
        "At least one attribute out of [source,source_content_filename,source_file,source_dir] "
        "must be specified",
    )


def _file_mode(entry: Entry, output_file_mode: str | None) -> int:
    if output_file_mode:
        try:
            return stat.S_IFREG | int(output_file_mode, 8 if output_file_mode.startswith("0") else 10)
        except ValueError:
            raise ProviderError(
                "Archive creation error", f"error parsing output_file_mode value: {output_file_mode}"
            ) from None
    return entry.mode


def _read(entry: Entry) -> bytes:
    if entry.content is not None:
        return entry.content
    assert entry.source is not None
    return entry.source.read_bytes()


def write_zip(entries: list[Entry], output: Path, output_file_mode: str | None) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the mode bits below mean something
            info.external_attr = (_file_mode(entry, output_file_mode) & 0xFFFF) << 16
            zf.writestr(info, _read(entry))
    output.write_bytes(buf.getvalue())


def write_tar_gz(entries: list[Entry], output: Path, output_file_mode: str | None) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for entry in entries:
            data = _read(entry)
            info = tarfile.TarInfo(entry.name)
            info.size = len(data)
            info.mode = _file_mode(entry, output_file_mode) & 0o7777
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))
    # mtime=0 keeps the gzip header deterministic too.
    output.write_bytes(gzip.compress(raw.getvalue(), mtime=0))


def build_archive(config: dict[str, Any], behaviour: ArchiveBehaviour = _CURRENT) -> dict[str, Any]:
    """Write the archive described by ``config``; return the computed attributes."""
    archive_type = config.get("type")
    writers = {"zip": write_zip, "tar.gz": write_tar_gz} if behaviour.tar_gz else {"zip": write_zip}
    writer = writers.get(archive_type or "")
    if writer is None:
        raise ProviderError(
            "Archive creation error", f"error creating archive: archive type not supported: {archive_type}"
        )
    output = Path(config["output_path"])
    output.parent.mkdir(parents=True, exist_ok=True)
    writer(collect_entries(config, behaviour), output, config.get("output_file_mode"))
    data = output.read_bytes()
    sha256 = hashlib.sha256(data).digest()
    sha512 = hashlib.sha512(data).digest()
    sha1 = hashlib.sha1(data).hexdigest()
    return {
        "id": sha1,
        "output_size": len(data),
        "output_md5": hashlib.md5(data).hexdigest(),
        "output_sha": sha1,
        "output_sha256": sha256.hex(),
        "output_base64sha256": base64.b64encode(sha256).decode(),
        "output_sha512": sha512.hex(),
        "output_base64sha512": base64.b64encode(sha512).decode(),
    }


class ArchiveProvider(OfflineProvider):
    def __init__(self, version: str = ARCHIVE_VERSION) -> None:
        super().__init__(load_archive_schema(version))
        self.behaviour = ArchiveBehaviour(version)

    def validate_resource(self, type_name: str, config: Any) -> list[Diagnostic] | None:
        self.resource_schema(type_name)
        if archive_resource_deprecated(self.behaviour.version):
            # terraform-plugin-framework's SchemaValidate adds a "Deprecated" warning carrying the
            # schema's DeprecationMessage (internal/fwserver/schema_validation.go).
            return [Diagnostic("Deprecated", ARCHIVE_RESOURCE_DEPRECATION, warning=True)]
        return None

    def read_data_source(self, type_name: str, config: Any) -> Any:
        self.data_source_schema(type_name)
        if not cty.is_wholly_known(config):
            raise ProviderError(f"{type_name}: configuration has unknown values")
        return {**config, **build_archive(config, self.behaviour)}

    def requires_replace(
        self, type_name: str, prior: dict[str, Any], planned: dict[str, Any]
    ) -> list[list[str]]:
        # Every argument of the archive_file resource has RequiresReplace.
        block = self.resource_schema(type_name).block
        changed = [
            [n] for n, a in block.attributes.items() if not a.computed and prior.get(n) != planned.get(n)
        ]
        if prior.get("source") != planned.get("source"):
            changed.append(["source"])
        return changed

    def apply_resource(self, type_name: str, prior: Any, planned: Any, config: Any) -> Any:
        if planned is None:
            return None
        return {**planned, **build_archive(config, self.behaviour)}

    def read_resource(self, type_name: str, state: Any) -> Any:
        # Like the real resource, Read builds the archive again from its sources and refreshes the
        # computed attributes (internal/provider/resource_archive_file.go: Read calls updateModel,
        # which archives and re-hashes). So a refresh in a fresh checkout writes the file there and
        # plans no change when the sources are the same; the file then exists only where the plan ran.
        if state is None:
            return None
        return {**state, **build_archive(state, self.behaviour)}
