"""Record Resemblyzer's own embeddings of the deterministic test voices (tests/voices.py), so the
test of the numpy port compares against the original implementation, not against itself.

    pip install resemblyzer==0.1.4 webrtcvad-wheels   # needs torch and librosa (the train extra)
    python tools/speaker_reference.py                  # writes tests/fixtures/speaker_reference.npy

Resemblyzer's VoiceEncoder.embed_utterance on each signal after its normalize_volume(-30 dBFS,
increase only): the same preprocessing the port does.
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from resemblyzer import VoiceEncoder  # noqa: E402
from resemblyzer.audio import normalize_volume  # noqa: E402
from voices import signals  # noqa: E402

encoder = VoiceEncoder("cpu", verbose=False)
reference = np.stack([encoder.embed_utterance(normalize_volume(s, -30, increase_only=True)) for s in signals()])
out = ROOT / "tests" / "fixtures" / "speaker_reference.npy"
np.save(out, reference.astype(np.float32))
print(f"wrote {out} {reference.shape}")
