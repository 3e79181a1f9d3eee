"""Fuse stage: combine the per-modality probabilities of an utterance."""

from unlock_feeling.fuse.late import RELIABILITY, FusionResult, certainty, late_fusion

__all__ = ["RELIABILITY", "FusionResult", "certainty", "late_fusion"]
