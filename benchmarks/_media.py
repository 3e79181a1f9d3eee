"""Shared benchmark media: a generated talking-face video with espeak-ng speech."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import skimage.data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test-media generator
from synth import Scene, silence, speak, write_video  # noqa: E402

SENTENCES = [
    "I am so happy to see you all today, this is wonderful news.",
    "The meeting starts at three o'clock in the main room.",
    "I can't believe they cancelled the show again, this is unacceptable!",
    "Please send me the report by Friday afternoon.",
    "Wow, I had no idea you could sing like that!",
    "I miss her so much, I just want to cry.",
    "Ugh, the kitchen smells of rotten garbage, it is disgusting.",
    "I'm scared, I think someone is following me home.",
    "We won the championship, everybody is cheering in the streets.",
    "The train to Busan leaves from platform four at noon.",
]


def talking_video(path: Path, seconds: float = 60.0) -> Path:
    """About `seconds` of video: the sentences in turn, with pauses, over a smiling face."""
    face = skimage.data.astronaut()
    scenes, total, i = [], 0.0, 0
    while total < seconds:
        clip = np.concatenate([silence(0.5), speak(SENTENCES[i % len(SENTENCES)]), silence(0.5)])
        remaining = int((seconds - total) * 16000)
        clip = clip[:remaining] if remaining < len(clip) else clip
        scenes.append(Scene(face, clip))
        total += len(clip) / 16000
        i += 1
    return write_video(path, scenes, size=(1280, 720), fps=25)
