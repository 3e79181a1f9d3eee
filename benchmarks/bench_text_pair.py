"""Does the encoder gain from seeing the previous utterance? An A/B on MELD alone: the default's
LoRA fine-tuning (`TextTrainConfig`, same layers, rank, schedule) trained on MELD train twice per
seed, once on the current utterance alone ("single") and once on the current utterance followed by
the previous utterance of its dialogue ("pair": at most 48 tokens, attended to but not pooled, so
the sentence state still describes the current utterance). Scored on MELD dev after every epoch;
the test split is not read. MELD only, because it is the one corpus in dialogue order.

    python benchmarks/bench_text_pair.py single 0 && python benchmarks/bench_text_pair.py pair 0   # ~10 / ~15 min on 2 cores
    python benchmarks/bench_text_pair.py single 1 && python benchmarks/bench_text_pair.py pair 1
    python benchmarks/bench_text_pair.py --report                       # → docs/accuracy.md (text-pair)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

from _bootstrap import resamples, scores  # noqa: E402
from _dialogue import meld_in_order, previous  # noqa: E402
from _doc import machine, write_section  # noqa: E402

CONTEXT_TOKENS = 48


def train(variant: str, seed: int, data: Path, work: Path) -> None:
    import torch
    from torch.nn import functional as F
    from sklearn.metrics import f1_score

    from unlock_feeling.extract.text import base_encoder
    from unlock_feeling.labels import LABELS
    from unlock_feeling.train.text_model import TextEmotionNet, TextTrainConfig, class_weights, make_optimizer

    torch.set_num_threads(2)
    rows = meld_in_order(data, ("train", "val"))
    n = len(rows)
    prev = previous(rows)
    enc, _ = base_encoder()
    tok = enc.weights.tokenizer
    cfg = TextTrainConfig(seed=seed)
    cache = work / f"states_{variant}.npz"
    if cache.exists():
        z = np.load(cache, allow_pickle=True)
        states, current = list(z["states"]), z["curlen"]
    else:
        ids, lengths = [], []
        for i, r in enumerate(rows):
            cur = enc.token_ids(r.text)
            extra = tok.encode(rows[prev[i]].text)[:CONTEXT_TOKENS] + [tok.eos] if variant == "pair" and prev[i] >= 0 else []
            ids.append(cur + extra)
            lengths.append(len(cur))
        states = [np.zeros(0)] * n
        order = np.argsort([len(x) for x in ids])
        for s in range(0, n, 32):
            sel = order[s:s + 32]
            x, _ = enc.hidden([ids[i] for i in sel], stop=cfg.n_frozen)
            for j, i in enumerate(sel):
                states[i] = x[j, :len(ids[i])].astype(np.float16)
        current = np.array(lengths)
        np.savez(cache, states=np.array(states, dtype=object), curlen=current)
    y = np.array([LABELS.index(r.label) for r in rows])
    split = np.array([r.split for r in rows])
    tr, va = np.flatnonzero(split == "train"), np.flatnonzero(split == "val")
    w = class_weights(y, np.array(["meld"] * n))

    def batch(sel: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lengths = [len(states[i]) for i in sel]
        x = np.zeros((len(sel), max(lengths), states[sel[0]].shape[1]), np.float32)
        for j, i in enumerate(sel):
            x[j, :lengths[j]] = states[i]
        positions = torch.arange(max(lengths))[None, :]
        return (torch.from_numpy(x), positions < torch.tensor(lengths)[:, None],
                positions < torch.tensor([current[i] for i in sel])[:, None])

    def forward(net: TextEmotionNet, x: torch.Tensor, attend: torch.Tensor, pool: torch.Tensor) -> torch.Tensor:
        for layer in net.layers:
            x = layer(x, attend)
        m = pool.unsqueeze(-1).to(x.dtype)
        return net.head(net.drop((x * m).sum(1) / m.sum(1)))

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = TextEmotionNet(enc.weights, cfg)
    opt = make_optimizer(net)
    steps = cfg.epochs * math.ceil(len(tr) / cfg.batch_size)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        t0 = time.time()
        perm = rng.permutation(tr)
        chunks = []
        for s in range(0, len(perm), 50 * cfg.batch_size):  # length-bucketed batches, as in training
            part = perm[s:s + 50 * cfg.batch_size]
            part = part[np.argsort([len(states[i]) for i in part], kind="stable")]
            chunks += [part[k:k + cfg.batch_size] for k in range(0, len(part), cfg.batch_size)]
        rng.shuffle(chunks)
        for sel in chunks:
            loss_each = F.cross_entropy(forward(net, *batch(sel)), torch.from_numpy(y[sel]), reduction="none")
            weight = torch.from_numpy(w[sel])
            loss = (loss_each * weight).sum() / weight.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        out = np.zeros((len(va), len(LABELS)), np.float32)
        order = np.argsort([len(states[i]) for i in va])
        with torch.no_grad():
            for s in range(0, len(va), 128):
                out[order[s:s + 128]] = forward(net, *batch(va[order[s:s + 128]])).numpy()
        pred = out.argmax(1)
        result = {"variant": variant, "seed": seed, "epoch": epoch, "sec": round(time.time() - t0),
                  "wf1": round(float(f1_score(y[va], pred, average="weighted")), 4),
                  "mf1": round(float(f1_score(y[va], pred, average="macro")), 4)}
        print(json.dumps(result), flush=True)
        np.save(work / f"logits_{variant}_{seed}_{epoch}.npy", out)


def report(data: Path, work: Path, seeds: list[int], epochs: int, count: int) -> None:
    from sklearn.metrics import f1_score

    from unlock_feeling.labels import LABELS

    rows = meld_in_order(data, ("val",))
    y = np.array([LABELS.index(r.label) for r in rows])
    samples = resamples(len(y), count, np.random.default_rng(0))

    def wf1(pred: np.ndarray, i: np.ndarray | slice = slice(None)) -> float:
        return float(f1_score(y[i], pred[i], average="weighted", labels=list(range(len(LABELS))), zero_division=0))

    def pred(variant: str, seed: int, epoch: int) -> np.ndarray:
        return np.load(work / f"logits_{variant}_{seed}_{epoch}.npy").argmax(1)

    table, finals = [], []
    for seed in seeds:
        for epoch in range(1, epochs + 1):
            a, b = pred("single", seed, epoch), pred("pair", seed, epoch)
            diff = scores(lambda i, a=a, b=b: wf1(b, i) - wf1(a, i), samples)
            table.append(f"| {seed} | {epoch} | {wf1(a):.4f} | {wf1(b):.4f} | {wf1(b) - wf1(a):+.4f} ± {diff.std():.4f} |")
            if epoch == epochs:
                finals.append(wf1(b) - wf1(a))
    lines = [
        "## Context: an encoder trained on (current, previous) pairs (MELD dev)",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} by `python benchmarks/bench_text_pair.py` "
        f"(seeds {', '.join(map(str, seeds))}; then `--report`).",
        "The default's fine-tuning recipe on MELD train alone, the current utterance alone (single) or followed by "
        f"the previous utterance of its dialogue (pair, ≤ {CONTEXT_TOKENS} tokens, attended to, not pooled); "
        f"weighted F1 on MELD dev ({len(y)} utterances) after each epoch (uncalibrated argmax); difference ± paired "
        f"bootstrap standard error ({count} resamples). The test split is not read.",
        "",
        "| seed | epoch | single | pair | pair − single ± SE |",
        "|---:|---:|---:|---:|---:|",
        *table,
        "",
        f"At the last epoch (the schedule's end, chosen before scoring) the pair model differs by "
        f"{', '.join(f'{d:+.4f}' for d in finals)} (mean {np.mean(finals):+.4f}).",
        "",
    ]
    write_section("text-pair", "\n".join(lines), ROOT / "docs" / "accuracy.md")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("variant", nargs="?", choices=("single", "pair"))
    ap.add_argument("seed", nargs="?", type=int, default=0)
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "text")
    ap.add_argument("--work", type=Path, default=ROOT / "data" / "text" / "pair")
    ap.add_argument("--report", action="store_true", help="write the table from the runs' saved outputs")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--resamples", type=int, default=500)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.report:
        from unlock_feeling.train.text_model import TextTrainConfig

        report(args.data, args.work, [int(s) for s in args.seeds.split(",")], TextTrainConfig.epochs, args.resamples)
    elif args.variant:
        train(args.variant, args.seed, args.data, args.work)
    else:
        ap.error("give a variant and a seed, or --report")


if __name__ == "__main__":
    main()
