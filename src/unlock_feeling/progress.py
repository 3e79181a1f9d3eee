"""Progress of an analysis: the callback type and the stages it reports, defined once (the CLI's
progress bars and the service's percentage both read them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    weight: int
    """Share of a typical video's analysis time (percent), for one overall percentage."""


STAGES: tuple[Stage, ...] = (
    Stage("decode", "decoding", 3), Stage("vad", "finding speech", 4), Stage("asr", "transcribing", 43),
    Stage("speakers", "speakers", 2), Stage("text", "text emotion", 5), Stage("face", "faces", 33),
    Stage("voice", "voice features", 5), Stage("fuse", "fusion", 5),
)
STAGE_BY_NAME = {s.name: s for s in STAGES}


def no_progress(stage: str, done: int, total: int) -> None:
    """The progress callback that reports nothing."""


def overall_progress(done_stages: set[str], stage: str, fraction: float) -> float:
    """One percentage (0–99 until the result is stored) from finished stages and the current one."""
    total = sum(s.weight for s in STAGES)
    done = sum(STAGE_BY_NAME[s].weight for s in done_stages if s in STAGE_BY_NAME)
    current = STAGE_BY_NAME[stage].weight if stage in STAGE_BY_NAME else 0
    return min(99.0, 100.0 * (done + current * fraction) / total)
