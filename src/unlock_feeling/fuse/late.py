"""Late fusion: a weighted average of the modalities present in an utterance.

Each modality m with probabilities p_m gets the weight

    w_m = reliability_m * (0.05 + certainty(p_m)),   certainty(p) = (max p - 1/7) / (1 - 1/7)

so a modality counts by how reliable it is in general (measured held-out accuracy, see
docs/accuracy.md) and by how sure it is about this utterance. The fused distribution is
sum_m w_m p_m / sum_m w_m; a missing modality simply drops out of the sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from unlock_feeling.labels import LABELS

RELIABILITY: Mapping[str, float] = MappingProxyType({"text": 1.0, "face": 0.65, "voice": 0.5})
"""General reliability per modality, roughly its held-out accuracy: text 0.80 (Korean) to 0.94
(English) on our test sentences; the zero-shot face models score 0.6-0.7 on FER2013 and are weak
on angry and disgust. Voice has no probabilities yet (no trained head)."""


@dataclass(frozen=True)
class FusionResult:
    probabilities: np.ndarray
    emotion: str
    confidence: float
    weights: dict[str, float]


def certainty(p: np.ndarray) -> float:
    k = len(p)
    return float((p.max() - 1.0 / k) / (1.0 - 1.0 / k))


def late_fusion(per_modality: Mapping[str, np.ndarray | None],
                reliability: Mapping[str, float] = RELIABILITY) -> FusionResult | None:
    """Fuse the modalities that have probabilities; None when none has."""
    present = {m: np.asarray(p, dtype=np.float64) for m, p in per_modality.items() if p is not None}
    if not present:
        return None
    weights = {m: reliability.get(m, 0.5) * (0.05 + certainty(p)) for m, p in present.items()}
    total = sum(weights.values())
    fused = np.sum([weights[m] * p for m, p in present.items()], axis=0) / total
    fused = fused / fused.sum()
    i = int(np.argmax(fused))
    return FusionResult(fused.astype(np.float64), LABELS[i], float(fused[i]),
                        {m: w / total for m, w in weights.items()})
