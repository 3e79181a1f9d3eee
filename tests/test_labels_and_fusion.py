import numpy as np
import pytest

from unlock_feeling.fuse import late_fusion
from unlock_feeling.labels import LABELS, normalize_label
from unlock_feeling.segment.vad import fixed_windows


def test_label_order_is_the_contract():
    assert LABELS == ("happy", "surprise", "neutral", "fear", "disgust", "angry", "sad")


@pytest.mark.parametrize("name,expected", [("기쁨", "happy"), ("Expressionless", "neutral"), ("disqust", "disgust"),
                                           ("Aversion", "disgust"), ("anger", "angry"), ("불안", None)])
def test_normalize_label(name, expected):
    assert normalize_label(name) == expected


def test_fusion_drops_missing_modalities_and_sums_to_one():
    happy = np.array([0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01])
    assert late_fusion({"text": None, "face": None}) is None
    only_face = late_fusion({"text": None, "face": happy})
    assert only_face.emotion == "happy" and np.allclose(only_face.probabilities, happy)
    sad = np.roll(happy, 6)
    both = late_fusion({"text": sad, "face": happy})
    assert abs(both.probabilities.sum() - 1) < 1e-9
    assert both.emotion == "sad"  # equally sure: the more reliable modality (text) wins


def test_confident_modality_outweighs_unsure_one():
    unsure = np.full(7, 1 / 7) + np.array([0, 0, 0.02, 0, 0, 0, -0.02])
    sure = np.array([0.01, 0.01, 0.01, 0.01, 0.01, 0.94, 0.01])
    assert late_fusion({"text": unsure, "face": sure}).emotion == "angry"


def test_fixed_windows_cover_the_duration():
    w = fixed_windows(5.0, 2.0)
    assert [(u.start, u.end) for u in w] == [(0.0, 2.0), (2.0, 4.0), (4.0, 5.0)]


def test_face_pooling_keeps_a_brief_clear_expression():
    from unlock_feeling.extract.face import FrameFace, pool
    from unlock_feeling.extract.face_detect import FaceBox

    box = FaceBox(0, 0, 10, 10, 0.9)
    ambiguous = np.array([0.117, 0.117, 0.3, 0.117, 0.117, 0.116, 0.116])  # leans neutral, unsure
    smile = np.array([0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01])
    frames = [FrameFace(t, box, ambiguous, np.zeros(4), 1) for t in range(17)]
    frames += [FrameFace(17 + t, box, smile, np.zeros(4), 1) for t in range(3)]
    plain_mean = np.mean([f.probabilities for f in frames], axis=0)
    assert LABELS[int(plain_mean.argmax())] == "neutral"  # a plain mean washes the smile out
    pooled = pool(frames)
    assert LABELS[int(pooled.probabilities.argmax())] == "happy"
    assert pooled.frames == 20 and abs(pooled.probabilities.sum() - 1) < 1e-6


def test_config_hash_ignores_run_time_settings_at_any_depth():
    from unlock_feeling.segment.asr import AsrConfig
    from unlock_feeling.store.keys import config_hash

    a = {"asr": AsrConfig(threads=1), "window": 2.0}
    assert config_hash(a) == config_hash({"asr": AsrConfig(threads=8), "window": 2.0})
    assert config_hash(a) != config_hash({"asr": AsrConfig(threads=1, beam_size=1), "window": 2.0})
    assert config_hash(a) != config_hash({"asr": AsrConfig(threads=1), "window": 3.0})
