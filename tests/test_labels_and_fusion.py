import numpy as np
import pytest

from unlock_feeling.fuse import late_fusion
from unlock_feeling.labels import LABELS, format_shares, normalize_label, parse_shares
from unlock_feeling.segment.vad import fixed_windows


def test_label_order_is_the_contract():
    assert LABELS == ("happy", "surprise", "neutral", "fear", "disgust", "angry", "sad")


@pytest.mark.parametrize("name,expected", [("기쁨", "happy"), ("Expressionless", "neutral"), ("disqust", "disgust"),
                                           ("Aversion", "disgust"), ("anger", "angry"), ("불안", None)])
def test_normalize_label(name, expected):
    assert normalize_label(name) == expected


def test_shares_read_any_spelling_rescale_and_round_trip():
    assert parse_shares("joy:2 슬픔:1, anger:1") == (("happy", 0.5), ("angry", 0.25), ("sad", 0.25))
    assert parse_shares("surprise:0.4;happy:0.6") == (("happy", 0.6), ("surprise", 0.4))  # LABELS order
    assert parse_shares("  ") == ()
    assert format_shares((("happy", 2 / 3), ("sad", 1 / 3))) == "happy:0.6667 sad:0.3333"
    assert format_shares((("neutral", 1.0),)) == "neutral:1"
    assert parse_shares(format_shares((("happy", 0.9996), ("sad", 0.0004))))[1] == ("sad", pytest.approx(0.0004))
    shares = (("happy", 0.5), ("fear", 0.25), ("sad", 0.25))
    assert parse_shares(format_shares(shares)) == shares


@pytest.mark.parametrize("text", ["happy", "bored:0.5", "happy:-1", "happy:x", "happy:nan", "happy:0 sad:0", ":0.5"])
def test_bad_shares_are_refused(text):
    with pytest.raises(ValueError):
        parse_shares(text)


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

    a = {"asr": {"config": AsrConfig(), "threads": 1}, "window": 2.0}
    assert config_hash(a) == config_hash({"asr": {"config": AsrConfig(), "threads": 8}, "window": 2.0})
    assert config_hash(a) != config_hash({"asr": {"config": AsrConfig(beam_size=1), "threads": 1}, "window": 2.0})
    assert config_hash(a) != config_hash({"asr": {"config": AsrConfig(), "threads": 1}, "window": 3.0})


@pytest.mark.parametrize("order", [None, ("text", "voice", "face")])
def test_numpy_fusion_model_equals_the_torch_network(tmp_path, order):
    """fuse/model.FusionModel (numpy, analysis) and train/model.FusionNet (torch, training) give the
    same probabilities for the same checkpoint, with every pattern of missing modalities; a
    checkpoint that records no order (written before it was recorded) keeps the old one."""
    import json

    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from unlock_feeling.fuse.model import FusionModel
    from unlock_feeling.labels import MODALITIES
    from unlock_feeling.train import model as train_model

    dims = {"text": 12, "face": 9, "voice": 5}
    if order is not None:  # an old checkpoint: its network concatenated in the old order
        old = train_model.MODALITIES
        train_model.MODALITIES = order
    try:
        torch.manual_seed(0)
        net = train_model.FusionNet(dims, hidden=16).eval()
        for m in dims:  # non-trivial standardisation
            getattr(net, f"{m}_mean").uniform_(-1, 1)
            getattr(net, f"{m}_std").uniform_(0.5, 2)
        rng = np.random.default_rng(0)
        n = 16
        x = {m: rng.normal(size=(n, d)).astype(np.float32) for m, d in dims.items()}
        mask = {m: (rng.random(n) > 0.4).astype(np.float32) for m in dims}
        mask["text"][:3] = 1  # at least one present per row
        with torch.no_grad():
            fused_t, per_t = net({m: torch.from_numpy(v) for m, v in x.items()},
                                 {m: torch.from_numpy(v) for m, v in mask.items()})
    finally:
        if order is not None:
            train_model.MODALITIES = old
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "model.safetensors"))
    config = {"labels": list(LABELS), "dims": dims, "extractors": "{}"}
    if order is None:
        config["modalities"] = list(MODALITIES)
    (tmp_path / "config.json").write_text(json.dumps(config))
    fused_np, per_np = FusionModel.load(tmp_path).forward(x, mask)
    assert np.abs(fused_np - torch.softmax(fused_t, 1).numpy()).max() < 1e-5
    for m in dims:
        assert np.abs(per_np[m] - torch.softmax(per_t[m], 1).numpy()).max() < 1e-5
