"""Registered extractors and their cache keys: keys ignore run-time-only settings, and change with
the config, with any model file's sha256 and with the extractors' code."""

import dataclasses
import shutil
import sys

import pytest

from unlock_feeling.extract.registry import (REGISTRY, FaceExtractor, FaceFeatureConfig, FeatureExtractor,
                                             TextExtractor, TextFeatureConfig, VoiceExtractor, extractor_for,
                                             register_extractor)
from unlock_feeling.extract.voice import VoiceConfig
from unlock_feeling.labels import MODALITIES
from unlock_feeling.store.keys import source_hash


def test_one_registered_extractor_per_modality():
    assert {extractor_for(m).modality for m in MODALITIES} == set(MODALITIES)
    assert REGISTRY["text-emotion-e5"] is TextExtractor
    for cls in REGISTRY.values():
        assert issubclass(cls, FeatureExtractor) and dataclasses.is_dataclass(cls)
        assert isinstance(cls().config, cls.config_type)
    assert TextExtractor().dim == 384 and VoiceExtractor(VoiceConfig(n_mfcc=20)).dim == 7 + 40
    with pytest.raises(ValueError, match="two extractors"):
        @register_extractor
        class Other(VoiceExtractor):  # same name, another class
            pass


def test_keys_ignore_threads_and_follow_the_config():
    a = FaceExtractor(FaceFeatureConfig(), threads=1).key("abc", 0, 1)
    assert a == FaceExtractor(FaceFeatureConfig(), threads=8).key("abc", 0, 1)
    assert TextExtractor(threads=1).text_key("hi") == TextExtractor(threads=4).text_key("hi")
    assert a != FaceExtractor(FaceFeatureConfig(fps=2)).key("abc", 0, 1)
    assert a != FaceExtractor().key("abc", 0, 1.5) and a != FaceExtractor().key("abd", 0, 1)


def test_keys_change_with_the_model_files(tmp_path, monkeypatch):
    from unlock_feeling.models import registry as models
    from unlock_feeling.models.registry import model_path

    copy = tmp_path / "text.safetensors"
    shutil.copy(model_path("text-emotion-e5"), copy)
    custom = TextExtractor(TextFeatureConfig(model=str(copy))).text_key("hi")
    with open(copy, "ab") as f:  # the same name, other bytes
        f.write(b"\0")
    assert TextExtractor(TextFeatureConfig(model=str(copy))).text_key("hi") != custom
    # a bundled model whose recorded sha256 changes (a new release of its weights)
    before = FaceExtractor().key("abc", 0, 1)
    real = models.spec

    def changed(name: str):  # type: ignore[no-untyped-def]
        s = real(name)
        return dataclasses.replace(s, sha256="0" * 64) if name == "fer-mini-xception" else s

    monkeypatch.setattr(models, "spec", changed)
    assert FaceExtractor().key("abc", 0, 1) != before
    assert FaceExtractor(FaceFeatureConfig(expression="faceapi")).models().keys() == {"blazeface-short-range",
                                                                                      "faceapi-expression"}


def test_keys_change_with_the_code(tmp_path, monkeypatch):
    module = tmp_path / "my_voice_code.py"
    module.write_text("SCALE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    class Custom(VoiceExtractor):
        sources = ("my_voice_code",)

    first = Custom().key("abc", 0, 1)
    module.write_text("SCALE = 2\n")
    source_hash.cache_clear()
    assert Custom().key("abc", 0, 1) != first
    assert Custom().signature() == VoiceExtractor().signature()  # same settings: a trained model still fits
    sys.modules.pop("my_voice_code", None)


def test_frame_grid_is_shared_by_spans():
    ex = FaceExtractor(FaceFeatureConfig(fps=5, max_frames=4))
    assert ex.grid(0.0, 1.0) == [0.1, 0.3, 0.5, 0.7, 0.9]
    assert ex.grid(0.25, 0.35) == [0.3] and ex.grid(0.41, 0.45) == [0.5]  # shorter than a cell: its middle's cell
    speech = set(ex.grid(2.0, 9.7))
    for start, end in ((2.0, 4.4), (4.4, 9.7), (5.05, 5.12)):  # sentences inside the speech span
        assert set(ex.sample_times(start, end)) <= speech
    thinned = ex.sample_times(0.0, 10.0)
    assert len(thinned) == 4 and thinned[0] == 0.1 and thinned[-1] == 9.9


def test_faces_scored_during_recognition_give_the_same_rows(media, tmp_path):
    """Frames scored in the background while speech is recognised (the default) and frames
    scored afterwards (with a store, nothing runs ahead) give the same face features."""
    import numpy as np

    from unlock_feeling.labels import LABELS
    from unlock_feeling.pipeline import AnalyzeOptions, Analyzer

    ahead = Analyzer(AnalyzeOptions(speakers=False)).analyze(media["video"])
    after = Analyzer(AnalyzeOptions(speakers=False, store=str(tmp_path / "store"))).analyze(media["video"])
    columns = [f"face_{label}" for label in LABELS] + ["face_frames"]
    assert np.allclose(ahead[columns].to_numpy(float), after[columns].to_numpy(float), atol=1e-6)
    assert (ahead["face_frames"] >= 3).all()
