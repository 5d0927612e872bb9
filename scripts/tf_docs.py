#!/usr/bin/env python3
"""Render the Inputs and Outputs tables of Terraform modules into their README.md.

For each module directory, the variables (``variables.tf``) and outputs (``outputs.tf``, or any
``*.tf`` file) are turned into Markdown tables (name, description, type, default, required /
name, description) and written between the markers::

    <!-- BEGIN_TF_DOCS -->
    ...generated...
    <!-- END_TF_DOCS -->

Nothing outside the markers is touched. A README without the markers gets them appended at the
end under a "## Terraform inputs and outputs" heading; a missing README is created with only that
section.

Usage::

    python scripts/tf_docs.py                 # rewrite the root README and every modules/*/README.md
    python scripts/tf_docs.py --check         # exit 1 listing the READMEs that are out of date
    python scripts/tf_docs.py path/to/module  # only these module directories

The files are parsed with python-hcl2 (which also proves they are valid HCL); the text of each
``type`` and ``default`` expression is copied from the source as written, like terraform-docs does,
so complex object types stay readable.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import hcl2

REPO_ROOT = Path(__file__).resolve().parents[1]
BEGIN_MARKER = "<!-- BEGIN_TF_DOCS -->"
END_MARKER = "<!-- END_TF_DOCS -->"
SECTION_HEADING = "## Terraform inputs and outputs"


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str | None
    default: str | None  # HCL source text; None when the variable has no default (required)

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    sensitive: bool


# --------------------------------------------------------------------------------------------
# A small HCL source scanner: finds blocks and the source text of their top-level attributes.
# python-hcl2 gives us the structure (and rejects invalid files); its rendering of expressions
# differs between versions, so expression text is taken from the source.
# --------------------------------------------------------------------------------------------

_OPENERS = {"{": "}", "[": "]", "(": ")"}


def _skip_string(text: str, i: int) -> int:
    """Index just past the quoted string starting at text[i] == '"' (handles ${...} nesting)."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if text.startswith("${", i) or text.startswith("%{", i):
            i = _skip_balanced(text, i + 1)
            continue
        i += 1
    raise ValueError("unterminated string")


def _skip_heredoc(text: str, i: int) -> int:
    """Index just past the heredoc starting at text[i:] == '<<' (EOT or <<-EOT)."""
    m = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n", text[i:])
    if not m:
        return i + 2
    marker = m.group(1)
    end = re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*$", re.MULTILINE)
    found = end.search(text, i + m.end())
    if not found:
        raise ValueError(f"unterminated heredoc {marker}")
    return found.end()


def _skip_comment(text: str, i: int) -> int | None:
    """Index just past a comment starting at text[i], or None when there is none."""
    if text.startswith("#", i) or text.startswith("//", i):
        nl = text.find("\n", i)
        return len(text) if nl == -1 else nl
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        return len(text) if end == -1 else end + 2
    return None


def _skip_balanced(text: str, i: int) -> int:
    """Index just past the bracket group opened at text[i]."""
    stack = [_OPENERS[text[i]]]
    i += 1
    while i < len(text) and stack:
        c = text[i]
        skipped = _skip_comment(text, i)
        if skipped is not None:
            i = skipped
        elif c == '"':
            i = _skip_string(text, i)
        elif text.startswith("<<", i):
            i = _skip_heredoc(text, i)
        elif c in _OPENERS:
            stack.append(_OPENERS[c])
            i += 1
        elif c == stack[-1]:
            stack.pop()
            i += 1
        else:
            i += 1
    if stack:
        raise ValueError("unbalanced brackets")
    return i


def find_blocks(text: str, block_type: str) -> dict[str, str]:
    """Map label → body text (between the braces) of every top-level ``block_type "label" {}``."""
    blocks: dict[str, str] = {}
    pattern = re.compile(rf'^[ \t]*{block_type}[ \t]+"([^"]+)"[ \t]*\{{', re.MULTILINE)
    for m in pattern.finditer(text):
        open_brace = m.end() - 1
        close = _skip_balanced(text, open_brace)
        blocks[m.group(1)] = text[open_brace + 1 : close - 1]
    return blocks


def top_level_attributes(body: str) -> dict[str, str]:
    """Map name → expression source text of the attributes directly inside a block body."""
    attributes: dict[str, str] = {}
    i = 0
    name_re = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*(=(?!=)|\{|\")")
    while i < len(body):
        skipped = _skip_comment(body, i)
        if skipped is not None:
            i = skipped
            continue
        if body[i] in " \t\r\n":
            i += 1
            continue
        m = name_re.match(body, i)
        if not m:
            # Not an attribute or block start: move to the next line.
            nl = body.find("\n", i)
            i = len(body) if nl == -1 else nl + 1
            continue
        if m.group(2) != "=":
            # A nested block (`validation {`, `lifecycle {`, `labelled "x" {`): skip it whole.
            brace = body.find("{", m.start(2))
            i = _skip_balanced(body, brace)
            continue
        start = m.end()
        j = end = start
        while j < len(body):
            c = body[j]
            if c == "\n" or c == "#" or body.startswith("//", j):
                # End of the expression (a trailing line comment is not part of it).
                break
            if body.startswith("/*", j):
                j = _skip_comment(body, j) or len(body)
                continue
            if c == '"':
                j = _skip_string(body, j)
            elif body.startswith("<<", j):
                j = _skip_heredoc(body, j)
            elif c in _OPENERS:
                j = _skip_balanced(body, j)
            else:
                j += 1
            end = j
        attributes[m.group(1)] = body[start:end].strip()
        i = j
    return attributes


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def hcl_string_value(expr: str) -> str:
    """The value of a quoted HCL string literal or heredoc; other expressions are returned as text."""
    expr = expr.strip()
    heredoc = re.match(r"<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n(.*)\n[ \t]*\2[ \t]*$", expr, re.DOTALL)
    if heredoc:
        lines = heredoc.group(3).split("\n")
        if heredoc.group(1):
            indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
            lines = [line[indent:] for line in lines]
        return "\n".join(lines)
    if not (len(expr) >= 2 and expr[0] == '"' and expr[-1] == '"'):
        return expr
    out: list[str] = []
    i = 1
    while i < len(expr) - 1:
        c = expr[i]
        if c == "\\" and i + 1 < len(expr) - 1:
            nxt = expr[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", expr[i + 2 : i + 6]):
                out.append(chr(int(expr[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if expr.startswith("$${", i) or expr.startswith("%%{", i):
            out.append(expr[i + 1 : i + 3])
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Module reading
# --------------------------------------------------------------------------------------------


def _tf_files(module_dir: Path) -> list[Path]:
    return sorted(p for p in module_dir.glob("*.tf") if p.is_file())


def read_module(module_dir: Path) -> tuple[list[Variable], list[Output]]:
    """Variables and outputs declared in the ``*.tf`` files of ``module_dir``."""
    variables: list[Variable] = []
    outputs: list[Output] = []
    for path in _tf_files(module_dir):
        text = path.read_text()
        try:
            parsed = hcl2.loads(text)
        except Exception as exc:  # lark raises several exception types
            raise SystemExit(f"{path}: not valid HCL: {exc}") from exc
        # Labels are plain in some python-hcl2 releases and keep their quotes in others.
        hcl_variables = {name.strip('"') for block in parsed.get("variable", []) for name in block}
        hcl_outputs = {name.strip('"') for block in parsed.get("output", []) for name in block}

        for name, body in find_blocks(text, "variable").items():
            attrs = top_level_attributes(body)
            variables.append(
                Variable(
                    name=name,
                    description=hcl_string_value(attrs.get("description", '""')),
                    type=attrs.get("type"),
                    default=attrs.get("default"),
                )
            )
        for name, body in find_blocks(text, "output").items():
            attrs = top_level_attributes(body)
            outputs.append(
                Output(
                    name=name,
                    description=hcl_string_value(attrs.get("description", '""')),
                    sensitive=attrs.get("sensitive", "false").strip() == "true",
                )
            )
        # The scanner and the parser must agree, or the tables would silently miss something.
        scanned_variables = set(find_blocks(text, "variable"))
        scanned_outputs = set(find_blocks(text, "output"))
        if scanned_variables != hcl_variables or scanned_outputs != hcl_outputs:
            raise SystemExit(
                f"{path}: could not locate every block (parser: {sorted(hcl_variables ^ scanned_variables)}"
                f" {sorted(hcl_outputs ^ scanned_outputs)})"
            )
    variables.sort(key=lambda v: v.name)
    outputs.sort(key=lambda o: o.name)
    return variables, outputs


# --------------------------------------------------------------------------------------------
# Markdown rendering
# --------------------------------------------------------------------------------------------


def _escape_prose(text: str) -> str:
    """Escape a description for a table cell; code spans keep their content."""
    parts = re.split(r"(`[^`]*`)", text.strip())
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            out.append(part.replace("|", "\\|"))
        else:
            out.append(
                part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            )
    return "".join(out).replace("\r", "").replace("\n", "<br/>")


def _code_cell(expr: str) -> str:
    """An HCL expression as a table cell: inline code, or <pre> when it spans several lines."""
    lines = _dedent(expr.strip().split("\n"))
    if len(lines) == 1 and "`" not in lines[0]:
        return "`" + lines[0].replace("|", "\\|") + "`"
    escaped = [
        line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "&#124;")
        for line in lines
    ]
    return "<pre>" + "<br/>".join(escaped) + "</pre>"


def _dedent(lines: list[str]) -> list[str]:
    """Remove the indentation continuation lines share (the first line starts at the `=`)."""
    if len(lines) < 2:
        return lines
    rest = [line for line in lines[1:] if line.strip()]
    indent = min((len(line) - len(line.lstrip(" ")) for line in rest), default=0)
    # The closing bracket sits one level left of the content: keep that relative indentation.
    closing = lines[-1]
    base = min(indent, len(closing) - len(closing.lstrip(" ")))
    return [lines[0]] + [line[base:] for line in lines[1:]]


def render(variables: list[Variable], outputs: list[Output]) -> str:
    lines = ["### Inputs", ""]
    if variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for v in variables:
            lines.append(
                f'| <a name="input_{v.name}"></a> [{v.name}](#input_{v.name}) '
                f"| {_escape_prose(v.description) or '-'} "
                f"| {_code_cell(v.type) if v.type else '`any`'} "
                f"| {'n/a' if v.default is None else _code_cell(v.default)} "
                f"| {'yes' if v.required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "### Outputs", ""]
    if outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        for o in outputs:
            description = _escape_prose(o.description) or "-"
            if o.sensitive:
                description += " (sensitive)"
            lines.append(f'| <a name="output_{o.name}"></a> [{o.name}](#output_{o.name}) | {description} |')
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def updated_readme(readme_text: str | None, generated: str) -> str:
    """The README text with the marker region replaced (or appended with its heading)."""
    block = f"{BEGIN_MARKER}\n{generated}\n{END_MARKER}"
    if readme_text is None:
        return f"{SECTION_HEADING}\n\n{block}\n"
    begin = readme_text.find(BEGIN_MARKER)
    end = readme_text.find(END_MARKER, begin + len(BEGIN_MARKER)) if begin != -1 else -1
    if begin == -1 or end == -1:
        return f"{readme_text.rstrip()}\n\n{SECTION_HEADING}\n\n{block}\n"
    return readme_text[:begin] + block + readme_text[end + len(END_MARKER) :]


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def default_module_dirs(root: Path = REPO_ROOT) -> list[Path]:
    """The root module and every directory under modules/ that holds .tf files."""
    dirs = [root]
    modules = root / "modules"
    if modules.is_dir():
        dirs += sorted(d for d in modules.iterdir() if d.is_dir() and _tf_files(d))
    return dirs


def process(module_dir: Path, check: bool) -> bool:
    """Render one module; return True when its README is (or now is) up to date."""
    readme = module_dir / "README.md"
    current = readme.read_text() if readme.is_file() else None
    wanted = updated_readme(current, render(*read_module(module_dir)))
    if current == wanted:
        return True
    if check:
        return False
    readme.write_text(wanted)
    print(f"updated {readme}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if any README is out of date"
    )
    parser.add_argument(
        "module_dirs", nargs="*", type=Path, help="module directories (default: root and modules/*)"
    )
    args = parser.parse_args(argv)

    dirs = [d.resolve() for d in args.module_dirs] or default_module_dirs()
    missing = [d for d in dirs if not d.is_dir()]
    if missing:
        parser.error(f"not a directory: {', '.join(map(str, missing))}")

    stale = [d / "README.md" for d in dirs if not process(d, args.check)]
    if stale:
        print("Terraform docs out of date (run `python scripts/tf_docs.py`):", file=sys.stderr)
        for path in stale:
            print(f"  {path}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
