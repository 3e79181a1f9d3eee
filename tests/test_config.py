"""Config dataclasses: one generic round trip to plain dicts, no hand-written serialisation."""

import json

import pytest

from unlock_feeling.config import from_dict, to_dict
from unlock_feeling.extract.dataset import ExtractConfig
from unlock_feeling.extract.face import FaceFeatureConfig
from unlock_feeling.pipeline import AnalyzeOptions
from unlock_feeling.segment.asr import AsrConfig


def test_nested_options_round_trip_through_json():
    options = AnalyzeOptions(language="ko", face=FaceFeatureConfig(fps=2.5, expression="fer"),
                             asr=AsrConfig(beam_size=1, languages=("ko",)), store="/tmp/x")
    back = from_dict(AnalyzeOptions, json.loads(json.dumps(to_dict(options))))
    assert back == options and isinstance(back.asr.languages, tuple)
    extract = ExtractConfig(face=FaceFeatureConfig(fps=3.0), chunk_size=7)
    assert ExtractConfig.from_json(extract.to_json()) == extract


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="unknown AnalyzeOptions settings: fsp"):
        from_dict(AnalyzeOptions, {"fsp": 2})
    with pytest.raises(ValueError, match="unknown FaceFeatureConfig settings: model"):
        from_dict(AnalyzeOptions, {"face": {"model": "fer"}})
