"""Dataset loaders: each format → labelled samples (a manifest) plus a report of what was skipped."""

from unlock_feeling.datasets.base import FORMATS, LoadReport, Sample, load_dataset

__all__ = ["FORMATS", "LoadReport", "Sample", "load_dataset"]
