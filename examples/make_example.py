"""Regenerate examples/interview.mp4: a smiling face (scikit-image's astronaut, NASA, public
domain) with espeak-ng speech. Needs espeak-ng and scikit-image.

    python examples/make_example.py
"""

from pathlib import Path

import numpy as np
import skimage.data

from unlock_feeling.synth import Scene, silence, speak, write_video

LINES = [
    "I am so happy to see you all today. This is wonderful news!",
    "The meeting starts at three o'clock in room four.",
    "Get out of my house! I am so angry with you, stop lying to me!",
]

if __name__ == "__main__":
    face = skimage.data.astronaut()
    scenes = [Scene(face, np.concatenate([silence(0.4), speak(line), silence(0.6)])) for line in LINES]
    out = write_video(Path(__file__).with_name("interview.mp4"), scenes)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
