"""Evaluate stage: metrics, per-class reports and confusion matrices of a trained fusion model."""
