"""Voice stage: acoustic/prosodic features of an utterance.

F0 statistics (YIN), energy, voiced ratio, speaking rate and MFCC statistics (media/spectral.py,
numpy versions of librosa's functions), the kind
of features the original prototype used. There is no pretrained speech-emotion model available
offline, so this stage yields features only; `voice_*` probabilities stay empty until a voice
head is trained on labelled speech.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from unlock_feeling.media import spectral
from unlock_feeling.media.decode import SAMPLE_RATE

PROSODY_NAMES = ("f0_median_hz", "f0_std_semitones", "f0_range_semitones", "energy_db", "energy_std_db",
                 "voiced_ratio", "speaking_rate")


@dataclass(frozen=True)
class VoiceConfig:
    fmin: float = 65.0
    fmax: float = 500.0
    n_mfcc: int = 13
    frame_length: int = 1024
    hop_length: int = 160  # 10 ms


@dataclass(frozen=True)
class VoiceFeatures:
    prosody: dict[str, float]
    vector: np.ndarray
    """prosody values followed by MFCC means and standard deviations."""


MFCC_WINDOW = 2048
"""librosa's default FFT size for the MFCCs."""
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+", re.IGNORECASE)


def count_syllables(text: str) -> int:
    """Hangul syllable blocks plus English vowel groups: a rough syllable count for any mix."""
    return len(_HANGUL.findall(text)) + len(_VOWEL_GROUPS.findall(text))


def voice_features(audio: np.ndarray, text: str = "", config: VoiceConfig = VoiceConfig()) -> VoiceFeatures:
    """Features of one utterance's 16 kHz mono samples (numpy; librosa only for acoustic onsets
    when there is no transcript)."""
    y = np.asarray(audio, dtype=np.float32)
    duration = len(y) / SAMPLE_RATE
    shortest = max(config.frame_length, MFCC_WINDOW)  # very short clips are zero-padded (no librosa warnings)
    if len(y) < shortest:
        y = np.pad(y, (0, shortest - len(y)))
    energy = spectral.rms(y, config.frame_length, config.hop_length)
    db = 20.0 * np.log10(np.maximum(1e-5, energy))
    loud = db > max(db.max() - 35.0, -60.0)
    f0 = spectral.yin(y, config.fmin, config.fmax, SAMPLE_RATE, config.frame_length, config.hop_length)
    n = min(len(f0), len(loud))
    f0, loud, db = f0[:n], loud[:n], db[:n]
    # YIN returns fmax-ish values on unvoiced frames: keep loud frames strictly inside the range
    voiced = loud & (f0 > config.fmin * 1.05) & (f0 < config.fmax * 0.95)
    f0v = f0[voiced]
    if f0v.size:  # drop octave errors: keep frames within an octave of the median
        f0v = f0v[np.abs(np.log2(f0v / np.median(f0v))) < 1.0]
    semis = 12 * np.log2(f0v / np.median(f0v)) if f0v.size else f0v
    mfcc = spectral.mfcc(y, SAMPLE_RATE, config.n_mfcc, config.hop_length, n_fft=MFCC_WINDOW)
    syllables = count_syllables(text)
    if syllables:
        rate = syllables / max(duration, 1e-3)
    else:  # no transcript: acoustic onsets per second
        import librosa

        onsets = librosa.onset.onset_detect(y=y, sr=SAMPLE_RATE, hop_length=config.hop_length)
        rate = len(onsets) / max(duration, 1e-3)
    prosody = {
        "f0_median_hz": float(np.median(f0v)) if f0v.size else 0.0,
        "f0_std_semitones": float(semis.std()) if f0v.size else 0.0,
        "f0_range_semitones": float(np.percentile(semis, 95) - np.percentile(semis, 5)) if f0v.size > 2 else 0.0,
        "energy_db": float(db[loud].mean()) if loud.any() else float(db.mean()),
        "energy_std_db": float(db[loud].std()) if loud.any() else 0.0,
        "voiced_ratio": float(voiced.sum() / max(loud.sum(), 1)),
        "speaking_rate": float(rate),
    }
    vector = np.concatenate([np.array([prosody[k] for k in PROSODY_NAMES], dtype=np.float32),
                             mfcc.mean(axis=1).astype(np.float32), mfcc.std(axis=1).astype(np.float32)])
    return VoiceFeatures(prosody, vector)
