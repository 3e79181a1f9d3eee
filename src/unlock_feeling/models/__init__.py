"""Bundled and installed pretrained models: where they are, what they are, and their checksums."""

from unlock_feeling.models.registry import MODELS, ModelSpec, check_model, model_path

__all__ = ["MODELS", "ModelSpec", "check_model", "model_path"]
