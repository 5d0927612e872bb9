"""Live progress on stderr: a redrawn bar on a terminal, plain periodic lines everywhere else (CI logs)."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO

STAGES = ("submitted", "pending", "processing", "complete", "failed", "dead-lettered")


@dataclass
class Counts:
    total: int = 0
    submitted: int = 0
    pending: int = 0
    processing: int = 0
    complete: int = 0
    failed: int = 0
    dead_lettered: int = 0

    @property
    def done(self) -> int:
        return self.complete + self.failed

    def line(self) -> str:
        return (
            f"submitted {self.submitted}/{self.total} · pending {self.pending} · "
            f"processing {self.processing} · complete {self.complete} · failed {self.failed} · "
            f"dead-lettered {self.dead_lettered}"
        )


class Progress:
    def __init__(
        self,
        total: int,
        stream: IO[str] | None = None,
        interactive: bool | None = None,
        interval: float = 5.0,
    ) -> None:
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.interval = interval
        self.counts = Counts(total=total)
        self.started = time.monotonic()
        self._last_line = -interval  # the first update prints at once
        self._last_text = ""
        self._lock = threading.Lock()

    def update(self, counts: Counts, force: bool = False) -> None:
        with self._lock:
            self.counts = counts
            elapsed = time.monotonic() - self.started
            if self.interactive:
                self._draw(elapsed)
                return
            text = counts.line()
            due = elapsed - self._last_line >= self.interval
            if text != self._last_text and (force or due):
                self.stream.write(f"[{elapsed:6.1f}s] {text}\n")
                self.stream.flush()
                self._last_line, self._last_text = elapsed, text

    def _draw(self, elapsed: float) -> None:
        c = self.counts
        width = 28
        total = max(1, c.total)
        complete = round(width * c.complete / total)
        failed = round(width * c.failed / total)
        if c.failed and not failed:
            failed = 1  # a failure is worth seeing even when it is a rounding error
        bar = "█" * complete + "▓" * failed
        bar += "░" * max(0, width - len(bar))
        percent = 100 * c.done / total
        text = f"{bar} {percent:5.1f}% {elapsed:6.1f}s  {c.line()}"
        # A line longer than the terminal wraps, and "\r" then redraws only its last row.
        columns = shutil.get_terminal_size((120, 24)).columns
        self.stream.write(f"\r\x1b[2K{text[: max(20, columns - 1)]}")
        self.stream.flush()

    def finish(self) -> None:
        with self._lock:
            if self.interactive:
                self._draw(time.monotonic() - self.started)
                self.stream.write("\n")
            elif self.counts.line() != self._last_text:
                self.stream.write(f"[{time.monotonic() - self.started:6.1f}s] {self.counts.line()}\n")
            self.stream.flush()
