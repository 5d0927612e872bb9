"""Jobs for a local run: the bundled sample corpus, a file or directory, or synthetic tickets."""

from __future__ import annotations

import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

SAMPLE_CORPUS = "tickets.jsonl"
TICKET_LABELS = ["billing", "bug", "account access", "feature request", "shipping"]
TEXT_SUFFIXES = {".txt", ".md", ".text"}


class InputError(ValueError):
    """An input file or directory the runner cannot turn into jobs."""


def _job_from(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"task": "summarize", "document": value, "metadata": {"source": where}}
    if isinstance(value, dict):
        job = dict(value)
        job.setdefault("task", "summarize")
        if "document" not in job:
            raise InputError(f"{where}: a job needs a 'document'")
        return job
    raise InputError(f"{where}: expected a JSON object or string, got {type(value).__name__}")


def read_jsonl(text: str, source: str) -> list[dict[str, Any]]:
    jobs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{source}:{number}: not JSON ({exc})") from exc
        jobs.append(_job_from(value, f"{source}:{number}"))
    return jobs


def sample_jobs() -> list[dict[str, Any]]:
    """The bundled corpus: support tickets to classify and short documents to summarize."""
    text = (
        resources.files("bedrock_jobs_local").joinpath("samples", SAMPLE_CORPUS).read_text(encoding="utf-8")
    )
    return read_jsonl(text, f"samples/{SAMPLE_CORPUS}")


def load_input(path: Path) -> list[dict[str, Any]]:
    """``FILE.jsonl`` (one job or string per line), ``FILE.json`` (a job or a list), a text file, or a
    directory of those (each ``.txt``/``.md`` file becomes one summarize job)."""
    if path.is_dir():
        jobs: list[dict[str, Any]] = []
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.suffix in (".jsonl", ".json") or child.suffix in TEXT_SUFFIXES:
                jobs.extend(load_input(child))
        if not jobs:
            raise InputError(f"{path}: no .jsonl, .json, .txt or .md files")
        return jobs
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    if path.suffix == ".jsonl":
        return read_jsonl(text, str(path))
    if path.suffix == ".json":
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise InputError(f"{path}: not JSON ({exc})") from exc
        values = value if isinstance(value, list) else [value]
        return [_job_from(v, f"{path}[{i}]") for i, v in enumerate(values)]
    return [{"task": "summarize", "document": text, "metadata": {"source": str(path)}}]


_CUSTOMERS = ["Ana", "Bjorn", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kai", "Lea"]
_TEMPLATES = {
    "billing": [
        "I was billed {n} EUR twice this month. Please refund the duplicate billing charge on invoice {ref}.",
        "Invoice {ref} shows {n} seats but we only use {m}. Can billing issue a credit?",
    ],
    "bug": [
        "The app crashes when I open report {ref}. This bug appears on every device since version {n}.{m}.",
        "Saving a draft fails with error {n}. Reproducible bug: the draft {ref} is lost every time.",
    ],
    "account access": [
        "I am locked out of my account after {n} login attempts; account access reset for user {ref} please.",
        "The password reset link for account {ref} expired. I need access again before {n}:00.",
    ],
    "feature request": [
        "Feature request: export dashboard {ref} to PDF. Our team of {n} would use it weekly.",
        "Please add a bulk edit feature. Request from {n} users in workspace {ref}.",
    ],
    "shipping": [
        "Order {ref} has not arrived after {n} days; the shipping tracking shows no update.",
        "Shipping to {m} addresses failed for order {ref}; the carrier returned {n} parcels.",
    ],
}


def synthetic_jobs(
    count: int, seed: int = 7, poison_marker: str | None = None, invalid_marker: str | None = None
) -> list[dict[str, Any]]:
    """``count`` deterministic support tickets (classify and summarize); when markers are given, one poison
    and one invalid document per thousand jobs (at least one each) take the place of tickets."""
    rng = random.Random(seed)
    jobs: list[dict[str, Any]] = []
    for i in range(count):
        label = rng.choice(TICKET_LABELS)
        text = rng.choice(_TEMPLATES[label]).format(
            n=rng.randint(2, 99), m=rng.randint(1, 9), ref=f"R{i:06d}"
        )
        text = f"{rng.choice(_CUSTOMERS)} writes: {text} Thanks."
        metadata = {"sample_id": f"S-{i:06d}", "kind": "synthetic", "expected_label": label}
        if i % 4 == 3:
            jobs.append({"task": "summarize", "document": text, "metadata": metadata})
        else:
            jobs.append({"task": "classify", "document": text, "labels": TICKET_LABELS, "metadata": metadata})
    # Faulty documents replace ordinary ones, so ``--jobs N`` submits exactly N jobs.
    extra = max(1, count // 1000)
    markers = [(m, kind) for m, kind in ((poison_marker, "poison"), (invalid_marker, "invalid")) if m]
    if count < 2 * extra * len(markers) + 1:
        return jobs
    positions = rng.sample(range(count), extra * len(markers))
    for n, position in enumerate(positions):
        marker, kind = markers[n // extra]
        jobs[position] = {
            "task": "summarize",
            "document": f"Unreadable upload {n}: {marker} 0x00 0xff; nothing could be extracted.",
            "metadata": {"sample_id": f"{kind.upper()}-{n}", "kind": kind},
        }
    return jobs
