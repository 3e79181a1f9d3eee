"""Fine-tune the text-emotion model: the upper layers of multilingual-e5-small (LoRA) + a head.

The lower layers stay frozen; their outputs are computed once by the numpy encoder that analysis
uses (`extract.e5.E5Encoder.hidden(..., stop=n_frozen)`) and kept in the feature store, so a
training epoch only runs the upper layers. The result is a small `TextEmotionModel` asset (LoRA
deltas + LayerNorms + head + calibration) that `extract.text` loads on top of the package's weights.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from unlock_feeling.datasets.text import TextItem
from unlock_feeling.extract.e5 import LAYER_MATRICES, Adapter, E5Weights
from unlock_feeling.labels import LABELS

if TYPE_CHECKING:
    from unlock_feeling.extract.text import TextEmotionModel


@dataclass(frozen=True)
class TextTrainConfig:
    n_frozen: int = 6
    rank: int = 16
    alpha: float = 32.0
    epochs: int = 5
    batch_size: int = 64
    lr: float = 1e-3
    head_lr: float = 3e-3
    weight_decay: float = 0.01
    dropout: float = 0.1
    seed: int = 0
    soft_labels: bool = False
    """Train towards each item's `shares` (the annotators' distribution) where it has them, instead
    of its one label (cross-entropy with a distribution as the target)."""
    runs: int = 1
    """Independent runs (seeds `seed`, `seed + 1`, ...) whose weights are averaged into one model
    (a "model soup", `average_nets`): same size and speed at run time, training time × runs."""


@dataclass(frozen=True)
class EpochScores:
    epoch: int
    loss: float
    val_macro_f1: dict[str, float]
    """Macro-F1 per validation corpus (argmax of the uncalibrated logits)."""
    val_mean: float
    """Their mean: the criterion that picks a run's epoch."""


@dataclass(frozen=True)
class TextTrainRun:
    seed: int
    history: list[EpochScores]
    best_epoch: int


@dataclass(frozen=True)
class TextTrainSummary:
    """What `train_text_model` did, echoing its options; stored as JSON in the model's metadata
    (`training`) so that every model file records how it was made."""

    config: TextTrainConfig
    train_items: int
    val_items: int
    train_by_corpus: dict[str, int]
    dataset_weights: dict[str, float]
    runs: list[TextTrainRun]
    val_macro_f1: dict[str, float]
    """Of the final (averaged) model, before calibration."""
    val_mean: float
    temperature: float
    bias: list[float]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)


class LoraLinear(nn.Module):
    weight: torch.Tensor
    bias: torch.Tensor

    def __init__(self, weight: np.ndarray, bias: np.ndarray, rank: int, alpha: float, dropout: float) -> None:
        super().__init__()
        self.register_buffer("weight", torch.from_numpy(np.ascontiguousarray(weight)))
        self.register_buffer("bias", torch.from_numpy(np.ascontiguousarray(bias)))
        self.a = nn.Parameter(torch.randn(rank, weight.shape[1]) / math.sqrt(weight.shape[1]))
        self.b = nn.Parameter(torch.zeros(weight.shape[0], rank))
        self.scale = alpha / rank
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias) + self.scale * (self.drop(x) @ self.a.T @ self.b.T)


class UpperLayer(nn.Module):
    def __init__(self, t: dict[str, np.ndarray], p: str, heads: int, eps: float, cfg: TextTrainConfig) -> None:
        super().__init__()
        self.lin = nn.ModuleDict({m: LoraLinear(t[p + m + ".w"], t[p + m + ".b"], cfg.rank, cfg.alpha, cfg.dropout)
                                  for m in LAYER_MATRICES})
        self.aln = nn.LayerNorm(t[p + "aln.w"].shape[0], eps=eps)
        self.oln = nn.LayerNorm(t[p + "oln.w"].shape[0], eps=eps)
        for ln, name in ((self.aln, "aln"), (self.oln, "oln")):
            ln.weight.data = torch.from_numpy(t[p + name + ".w"].copy())
            ln.bias.data = torch.from_numpy(t[p + name + ".b"].copy())
        self.heads = heads

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape
        dh = h // self.heads

        def split(z: torch.Tensor) -> torch.Tensor:
            return z.view(b, n, self.heads, dh).transpose(1, 2)

        q, k, v = split(self.lin["q"](x)), split(self.lin["k"](x)), split(self.lin["v"](x))
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
        x = self.aln(x + self.lin["ao"](ctx.transpose(1, 2).reshape(b, n, h)))
        return self.oln(x + self.lin["fo"](F.gelu(self.lin["fi"](x))))


class TextEmotionNet(nn.Module):
    """Upper e5 layers (LoRA) → mean pooling → linear head over LABELS."""

    def __init__(self, weights: E5Weights, cfg: TextTrainConfig) -> None:
        super().__init__()
        hd = weights.header
        self.cfg = cfg
        self.layers = nn.ModuleList(UpperLayer(weights.tensors, f"l{i}.", hd.heads, hd.eps, cfg)
                                    for i in range(cfg.n_frozen, hd.layers))
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(hd.hidden, len(LABELS))

    def pooled(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, mask)
        m = mask.unsqueeze(-1).to(x.dtype)
        return (x * m).sum(1) / m.sum(1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.pooled(x, mask)))

    def load(self, adapter: Adapter, head_weight: np.ndarray, head_bias: np.ndarray) -> None:
        """Set the trainable parameters from an exported adapter and head (the inverse of `adapter`)."""
        with torch.no_grad():
            for i, layer in enumerate(cast("list[UpperLayer]", list(self.layers)), start=self.cfg.n_frozen):
                for m, lin in cast("dict[str, LoraLinear]", dict(layer.lin.items())).items():
                    lin.a.copy_(torch.from_numpy(adapter.lora_a[f"l{i}.{m}"]))
                    lin.b.copy_(torch.from_numpy(adapter.lora_b[f"l{i}.{m}"]))
                for name in ("aln", "oln"):
                    getattr(layer, name).weight.copy_(torch.from_numpy(adapter.vectors[f"l{i}.{name}.w"]))
                    getattr(layer, name).bias.copy_(torch.from_numpy(adapter.vectors[f"l{i}.{name}.b"]))
            self.head.weight.copy_(torch.from_numpy(head_weight))
            self.head.bias.copy_(torch.from_numpy(head_bias))

    def adapter(self) -> Adapter:
        a, b, vectors = {}, {}, {}
        for i, layer in enumerate(cast("list[UpperLayer]", list(self.layers)), start=self.cfg.n_frozen):
            for m, lin in cast("dict[str, LoraLinear]", dict(layer.lin.items())).items():
                a[f"l{i}.{m}"] = lin.a.detach().numpy().copy()
                b[f"l{i}.{m}"] = lin.b.detach().numpy().copy()
            for name in ("aln", "oln"):
                ln = getattr(layer, name)
                vectors[f"l{i}.{name}.w"] = ln.weight.detach().numpy().copy()
                vectors[f"l{i}.{name}.b"] = ln.bias.detach().numpy().copy()
        return Adapter(a, b, vectors, self.cfg.alpha / self.cfg.rank)


def batches(states: Sequence[np.ndarray], order: np.ndarray, size: int) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """Padded (x, mask) batches of stored lower-layer states, in `order` chunks of `size`."""
    for s in range(0, len(order), size):
        sel = order[s:s + size]
        lengths = [len(states[i]) for i in sel]
        T = max(lengths)
        x = np.zeros((len(sel), T, states[sel[0]].shape[1]), np.float32)
        for j, i in enumerate(sel):
            x[j, : lengths[j]] = states[i]
        mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
        yield sel, torch.from_numpy(x), mask


def length_bucketed_order(states: Sequence[np.ndarray], size: int, rng: np.random.Generator) -> np.ndarray:
    """Shuffle, then sort within windows of 50 batches by length (less padding), then shuffle batches."""
    idx = rng.permutation(len(states))
    window = size * 50
    chunks = []
    for s in range(0, len(idx), window):
        part = idx[s:s + window]
        part = part[np.argsort([len(states[i]) for i in part], kind="stable")]
        chunks += [part[k:k + size] for k in range(0, len(part), size)]
    rng.shuffle(chunks)
    return np.concatenate(chunks) if chunks else idx


def logits_of(net: TextEmotionNet, states: Sequence[np.ndarray], size: int = 128) -> np.ndarray:
    net.eval()
    out = np.zeros((len(states), len(LABELS)), np.float32)
    order = np.argsort([len(s) for s in states], kind="stable")
    with torch.no_grad():
        for sel, x, mask in batches(states, order, size):
            out[sel] = net(x, mask).numpy()
    return out


def make_optimizer(net: TextEmotionNet) -> torch.optim.Optimizer:
    cfg = net.cfg
    head = list(net.head.parameters())
    rest = [p for n, p in net.named_parameters() if not n.startswith("head.") and p.requires_grad]
    return torch.optim.AdamW([{"params": rest, "lr": cfg.lr}, {"params": head, "lr": cfg.head_lr}],
                             weight_decay=cfg.weight_decay)


def target_distributions(items: Sequence[TextItem], soft: bool) -> np.ndarray:
    """Training targets, one row of probabilities over LABELS per item: its `shares` where `soft`
    and it has them, otherwise all on its label."""
    out = np.zeros((len(items), len(LABELS)), np.float32)
    for row, item in zip(out, items):
        for label, share in item.shares if soft and item.shares else ((item.label, 1.0),):
            row[LABELS.index(label)] = share
    return out


def class_weights(labels: np.ndarray, groups: np.ndarray, power: float = 0.5) -> np.ndarray:
    """Per-item weight (n_group / n_group_class)^power, normalised to mean 1 per group."""
    w = np.ones(len(labels), np.float32)
    for g in np.unique(groups):
        sel = groups == g
        counts = np.bincount(labels[sel], minlength=len(LABELS)).astype(np.float32)
        cw = (sel.sum() / np.maximum(counts, 1)) ** power
        w[sel] = cw[labels[sel]]
        w[sel] /= w[sel].mean()
    return w


def fit_calibration(logits: np.ndarray, y: np.ndarray, w: np.ndarray, steps: int = 500) -> tuple[float, np.ndarray]:
    """Temperature and per-class bias minimising the weighted NLL of softmax(logits / T + b)."""
    z = torch.from_numpy(logits)
    target = torch.from_numpy(y)
    weight = torch.from_numpy(w / w.sum())
    log_t = torch.zeros(1, requires_grad=True)
    bias = torch.zeros(len(LABELS), requires_grad=True)
    opt = torch.optim.LBFGS([log_t, bias], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (F.cross_entropy(z / log_t.exp() + bias, target, reduction="none") * weight).sum()
        loss.backward()
        return loss

    opt.step(closure)
    b = bias.detach().numpy()
    return float(log_t.detach().exp()), (b - b.mean()).astype(np.float32)


def calibrate(logits: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, np.ndarray]:
    """`fit_calibration` with each group (validation corpus) counting equally, however large."""
    w = np.array([1.0 / np.sum(groups == g) for g in groups], np.float32)
    return fit_calibration(logits.astype(np.float32), y, w)


def macro_f1_by_group(y: np.ndarray, pred: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """Macro-F1 over LABELS per group (corpus), rounded to 4 places: the training's criterion."""
    from sklearn.metrics import f1_score

    return {str(g): round(float(f1_score(y[groups == g], pred[groups == g], average="macro",
                                         labels=list(range(len(LABELS))), zero_division=0)), 4)
            for g in np.unique(groups)}


def load_text_items(paths: Sequence[Path]) -> list[TextItem]:
    """Labelled sentences from manifest files (CSV/JSONL, read by the `manifest` dataset loader);
    rows without a split are split by speaker (or row) like every other dataset. A `weight`
    column, where present, weights each sentence; a `shares` column gives soft labels."""
    from unlock_feeling.datasets.base import load_dataset

    items = []
    for path in paths:
        samples, _ = load_dataset(path, "manifest")
        items += [TextItem(s.text, s.label, s.split, s.weight, s.speaker, dataset=Path(path).stem, shares=s.shares)
                  for s in samples if s.text]
    if not items:
        from unlock_feeling.errors import UserInputError

        raise UserInputError("no labelled sentences (rows with text and label) in " + ", ".join(map(str, paths)))
    return items


def evaluate_text_model(model, items: Sequence[TextItem]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from sklearn.metrics import accuracy_score, f1_score

    y = np.array([LABELS.index(it.label) for it in items])
    pred = model([it.text for it in items]).argmax(1)
    labels = list(range(len(LABELS)))
    return {"accuracy": float(accuracy_score(y, pred)),
            "macro_f1": float(f1_score(y, pred, average="macro", labels=labels, zero_division=0)),
            "weighted_f1": float(f1_score(y, pred, average="weighted", labels=labels, zero_division=0))}


def average_nets(nets: Sequence[TextEmotionNet], weights: E5Weights) -> TextEmotionNet:
    """The uniform weight average of nets trained from the same start (`Adapter.average`, exact)
    with the mean head: a net of rank k·r that runs like one."""
    cfg = nets[0].cfg
    if any(n.cfg != cfg for n in nets):
        raise ValueError("only nets trained with the same configuration can be averaged")
    k = len(nets)
    out = TextEmotionNet(weights, dataclasses.replace(cfg, rank=cfg.rank * k, alpha=cfg.alpha * k))
    out.load(Adapter.average([n.adapter() for n in nets]),
             np.mean([n.head.weight.detach().numpy() for n in nets], axis=0),
             np.mean([n.head.bias.detach().numpy() for n in nets], axis=0))
    return out


def train_text_model(items: Sequence[TextItem], cfg: TextTrainConfig, store_root: Path | str,
                     dataset_weights: dict[str, float], log: Callable[[str], None] = print
                     ) -> tuple[TextEmotionModel, TextTrainSummary]:
    """Train on items with split 'train', choose the epoch (per run) and calibrate on 'val'; with
    `cfg.runs` > 1 the runs' weights are averaged before calibration. Returns (model, summary)."""
    from unlock_feeling.extract.text import TextEmotionModel, base_encoder
    from unlock_feeling.train.text_states import LowerStatesConfig, lower_states
    from unlock_feeling.store.parquet import FeatureStore

    encoder, encoder_sha = base_encoder()
    texts = [it.text for it in items]
    t0 = time.time()

    def progress(done: int, total: int) -> None:
        log(f"  lower states {done}/{total} ({time.time() - t0:.0f} s)")

    states = lower_states(texts, encoder, LowerStatesConfig(cfg.n_frozen, encoder.max_tokens, encoder_sha),
                          FeatureStore(Path(store_root)), progress=progress)
    y = np.array([LABELS.index(it.label) for it in items])
    targets = target_distributions(items, cfg.soft_labels)
    groups = np.array([it.dataset for it in items])
    split = np.array([it.split for it in items])
    w = np.array([it.weight for it in items], np.float32) * class_weights(y, groups)
    w *= np.array([dataset_weights.get(g, 1.0) for g in groups], np.float32)
    tr, va = np.flatnonzero(split == "train"), np.flatnonzero(split == "val")
    tr_states, va_states = [states[i] for i in tr], [states[i] for i in va]
    nets: list[TextEmotionNet] = []
    runs: list[TextTrainRun] = []
    for run in range(cfg.runs):
        seed = cfg.seed + run
        if cfg.runs > 1:
            log(f"run {run + 1}/{cfg.runs} (seed {seed})")
        net, history, best_epoch = _train_run(encoder.weights, cfg, seed, tr_states, targets[tr], w[tr],
                                              va_states, y[va], groups[va], log)
        nets.append(net)
        runs.append(TextTrainRun(seed, history, best_epoch))
    net = nets[0] if len(nets) == 1 else average_nets(nets, encoder.weights)
    logits = logits_of(net, va_states)
    val_scores = macro_f1_by_group(y[va], logits.argmax(1), groups[va])
    temperature, bias = calibrate(logits, y[va], groups[va])
    summary = TextTrainSummary(cfg, int(len(tr)), int(len(va)),
                               {str(g): int(np.sum(groups[tr] == g)) for g in np.unique(groups[tr])},
                               dict(dataset_weights), runs, val_scores,
                               round(float(np.mean(list(val_scores.values()))), 4), round(temperature, 4),
                               [round(float(b), 4) for b in bias])
    head_w = net.head.weight.detach().numpy().copy()
    head_b = net.head.bias.detach().numpy().copy()
    model = TextEmotionModel.build(encoder.weights, net.adapter(), head_w, head_b, temperature, bias,
                                   {"n_frozen": str(cfg.n_frozen), "encoder_sha256": encoder_sha,
                                    "training": summary.to_json()})
    return model, summary


def _train_run(weights: E5Weights, cfg: TextTrainConfig, seed: int, tr_states: Sequence[np.ndarray],
               targets_tr: np.ndarray, w_tr: np.ndarray, va_states: Sequence[np.ndarray], y_va: np.ndarray,
               g_va: np.ndarray, log: Callable[[str], None]) -> tuple[TextEmotionNet, list[EpochScores], int]:
    """One run from `seed`: the net at its best epoch (mean validation macro-F1 over corpora)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = TextEmotionNet(weights, cfg)
    opt = make_optimizer(net)
    steps = cfg.epochs * math.ceil(len(tr_states) / cfg.batch_size)
    warmup = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))
    history: list[EpochScores] = []
    best: tuple[float, dict[str, torch.Tensor], int] = (-1.0, {}, 0)
    for epoch in range(cfg.epochs):
        loss = train_epoch(net, opt, sched, tr_states, targets_tr, w_tr, rng, log)
        per = macro_f1_by_group(y_va, logits_of(net, va_states).argmax(1), g_va)
        score = float(np.mean(list(per.values())))
        history.append(EpochScores(epoch + 1, round(loss, 4), per, round(score, 4)))
        log(json.dumps(dataclasses.asdict(history[-1])))
        if score > best[0]:
            best = (score, {k: v.clone() for k, v in net.state_dict().items()}, epoch + 1)
    net.load_state_dict(best[1])
    return net, history, best[2]


def train_epoch(net: TextEmotionNet, opt: torch.optim.Optimizer, sched, states: Sequence[np.ndarray],  # type: ignore[no-untyped-def]
                          targets: np.ndarray, w: np.ndarray, rng: np.random.Generator,
                          log: Callable[[str], None] = print, log_every: int = 100) -> float:
    """One pass over `states` towards `targets` (class ids, or rows of class probabilities)."""
    net.train()
    order = length_bucketed_order(states, net.cfg.batch_size, rng)
    total, count, t0 = 0.0, 0, time.time()
    for step, (sel, x, mask) in enumerate(batches(states, order, net.cfg.batch_size)):
        loss_each = F.cross_entropy(net(x, mask), torch.from_numpy(targets[sel]), reduction="none")
        weights = torch.from_numpy(w[sel])
        loss = (loss_each * weights).sum() / weights.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total += float(loss.detach()) * len(sel)
        count += len(sel)
        if log_every and step % log_every == 0:
            log(f"  step {step}/{math.ceil(len(order) / net.cfg.batch_size)} loss {total / count:.4f} "
                f"({time.time() - t0:.0f} s)")
    return total / max(count, 1)
