"""Store stage: content-addressed feature storage (Parquet shards) shared by analysis and training."""

from unlock_feeling.store.keys import FeatureKey, config_hash, sha256_bytes, sha256_path
from unlock_feeling.store.parquet import FeatureStore

__all__ = ["FeatureKey", "FeatureStore", "config_hash", "sha256_bytes", "sha256_path"]
