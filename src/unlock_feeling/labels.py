"""The seven emotion labels, their order, and how dataset/model label names map onto them."""

from __future__ import annotations

from typing import Final

LABELS: Final[tuple[str, ...]] = ("happy", "surprise", "neutral", "fear", "disgust", "angry", "sad")
"""Label order used everywhere (ids 0..6)."""

MODALITIES: Final[tuple[str, ...]] = ("text", "face", "voice")
"""The three modalities, in the order used everywhere (output columns, fusion network inputs)."""

KOREAN: Final[dict[str, str]] = {
    "happy": "행복",
    "surprise": "놀람",
    "neutral": "중립",
    "fear": "공포",
    "disgust": "혐오",
    "angry": "분노",
    "sad": "슬픔",
}

_ALIASES: Final[dict[str, str]] = {
    # Korean
    "기쁨": "happy", "행복": "happy", "놀람": "surprise", "중립": "neutral", "공포": "fear",
    "혐오": "disgust", "분노": "angry", "슬픔": "sad",
    # English spellings used by datasets and pretrained models
    "happy": "happy", "happiness": "happy", "joy": "happy",
    "surprise": "surprise", "surprised": "surprise",
    "neutral": "neutral", "expressionless": "neutral",
    "fear": "fear", "fearful": "fear",
    "disgust": "disgust", "disgusted": "disgust", "disqust": "disgust", "aversion": "disgust",
    "angry": "angry", "anger": "angry",
    "sad": "sad", "sadness": "sad",
}


def normalize_label(name: str) -> str | None:
    """Map a label spelled by a dataset or a model onto one of LABELS; None if it has no equivalent."""
    return _ALIASES.get(name.strip().lower())


Shares = tuple[tuple[str, float], ...]
"""A distribution over LABELS given by annotators (label, share), shares summing to 1; () = none."""


def parse_shares(text: str) -> Shares:
    """Read `happy:0.6 surprise:0.4` (labels in any spelling `normalize_label` knows; shares are
    rescaled to sum to 1). Raises ValueError on an unknown label or a share that is not a
    non-negative number, or when all shares are 0."""
    parts: dict[str, float] = {}
    for part in text.replace(",", " ").replace(";", " ").split():
        name, sep, value = part.rpartition(":")
        label = normalize_label(name) if sep else None
        if label is None:
            raise ValueError(f"{part!r} is not label:share with a label of {', '.join(LABELS)}")
        try:
            share = float(value)
        except ValueError:
            share = float("nan")
        if not (0.0 <= share < float("inf")):
            raise ValueError(f"{part!r}: the share is not a non-negative number")
        parts[label] = parts.get(label, 0.0) + share
    total = sum(parts.values())
    if parts and total <= 0.0:
        raise ValueError(f"{text!r}: all shares are 0")
    return tuple((label, parts[label] / total) for label in LABELS if parts.get(label))


def format_shares(shares: Shares) -> str:
    """The inverse of `parse_shares` (4 significant digits): `happy:0.6667 angry:0.3333`."""
    return " ".join(f"{label}:{share:.4g}" for label, share in shares)
