"""unlock-feeling: per-utterance emotion recognition from text, face and voice.

    >>> import unlock_feeling
    >>> df = unlock_feeling.analyze("interview.mp4", language="ko")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from unlock_feeling.labels import LABELS

__all__ = ["LABELS", "AnalysisInfo", "AnalyzeOptions", "Analyzer", "UtteranceResult", "analyze", "__version__"]
__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from unlock_feeling.pipeline import AnalyzeOptions, Analyzer, analyze
    from unlock_feeling.result import AnalysisInfo, UtteranceResult


def __getattr__(name: str) -> Any:
    # Lazy: importing the package must not load models or heavy libraries.
    if name in ("analyze", "AnalyzeOptions", "Analyzer"):
        from unlock_feeling import pipeline

        return getattr(pipeline, name)
    if name in ("AnalysisInfo", "UtteranceResult"):
        from unlock_feeling import result

        return getattr(result, name)
    raise AttributeError(name)
