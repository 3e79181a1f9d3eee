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

