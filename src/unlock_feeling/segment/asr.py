"""Speech recognition with faster-whisper, batched over windows of speech.

The VAD already cut the audio into speech spans; consecutive spans are packed into windows of at
most 30 s, a short window (audio + margin ≤ 10 s) is encoded at 10 s instead of Whisper's fixed
30 s, the language is chosen per window among the allowed languages from Whisper's own language
probabilities, and the decoder runs on a batch of windows with each one's language token. This is faster-whisper's BatchedInferencePipeline with per-window language choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from unlock_feeling.errors import ModelError
from unlock_feeling.media.decode import SAMPLE_RATE
from unlock_feeling.segment.vad import Utterance

LANGUAGES = ("ko", "en")


@dataclass(frozen=True)
class AsrConfig:
    model: str = "whisper-base"
    """`whisper-base` (bundled), a directory with a CTranslate2 Whisper model, or a size name
    (`medium`, `large-v3`, ...) that is already in the local Hugging Face cache."""
    languages: tuple[str, ...] = LANGUAGES
    beam_size: int = 5
    """5 had the lower word error rate at a small cost (docs/accuracy.md, docs/benchmarks.md)."""
    batch_size: int = 4
    """Windows decoded together: 4 is as fast as 8 on 2 cores and peaks 0.2 GB lower (the encoder's
    attention buffers grow with the batch)."""
    compute_type: str = "int8"
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    tail_pad_s: float = 0.5
    """Audio after a window's last speech span that the recogniser also hears: VAD ends spans on
    the last loud frame, and a word's fading end otherwise gets cut (docs/accuracy.md, bench_asr)."""
    max_window_s: float = 29.5
    """Consecutive speech spans are packed into one window spanning at most this much audio
    (Whisper reads at most 30 s)."""
    short_window_s: float = 10.0
    """A window whose audio + `window_margin_s` fits in this many seconds is encoded at this length
    instead of Whisper's fixed 30 s (its encoder accepts shorter inputs and costs far less on
    them); longer windows get the full 30 s. Short clips were recognised about 2x faster at a
    slightly higher word error rate (0.060 -> 0.071 on espeak sentences), while shortening long
    windows too changed sentence punctuation on continuous speech (bench_asr, docs/accuracy.md).
    0 or 30 always uses Whisper's window."""
    window_margin_s: float = 2.0
    """Silence after a short window's audio in the encoder input, so that the decoder hears its end."""


def _resolve_model(name: str) -> str:
    if name == "whisper-base":
        from unlock_feeling.models.registry import model_path

        return str(model_path("whisper-base"))
    if Path(name).is_dir():
        return name
    try:  # only the local cache; never a download
        from faster_whisper.utils import download_model

        return download_model(name, local_files_only=True)
    except Exception:  # noqa: BLE001
        raise ModelError(f"ASR model {name!r} is neither a directory nor in the local cache") from None


@dataclass
class Transcriber:
    config: AsrConfig = AsrConfig()
    threads: int = 2
    """CPU threads (run-time only)."""

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        from faster_whisper import WhisperModel

        return WhisperModel(_resolve_model(self.config.model), device="cpu",
                            compute_type=self.config.compute_type, cpu_threads=self.threads)

    def transcribe(self, audio: np.ndarray, utterances: Sequence[Utterance],
                   progress: Callable[[int], None] | None = None) -> list[Utterance]:
        """Transcribe speech spans and return one utterance per sentence (`sentence_rows`); a span
        in which nothing was recognised is returned as it is, without text.

        Spans are packed into windows of at most 30 s of the original audio (fewer, fuller windows
        and the neighbouring sentences as context); a short window is encoded at
        `AsrConfig.short_window_s` instead of 30 s (`encoder_frames`). Each window is decoded
        with timestamps, and each timed segment goes to the utterance it overlaps most.
        """
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        model = self.model
        allowed = list(self.config.languages)
        multilingual = model.model.is_multilingual
        tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe",
                              language=allowed[0] if multilingual else "en")
        prompt = model.get_prompt(tokenizer, [], without_timestamps=False)
        lang_index = prompt.index(tokenizer.language) if multilingual else None
        windows = pack_windows(utterances, self.config.max_window_s)
        sentences: dict[int, list[Utterance]] = {}
        bs = max(1, self.config.batch_size)
        for i in range(0, len(windows), bs):
            batch = windows[i:i + bs]
            mels = [model.feature_extractor(
                audio[int(w[0].start * SAMPLE_RATE):int((w[-1].end + self.config.tail_pad_s) * SAMPLE_RATE)])[..., :-1]
                for w in batch]
            frames = encoder_frames(max(m.shape[-1] for m in mels), self.config, model.feature_extractor.nb_max_frames)
            feats = np.stack([pad_or_trim(m, frames) for m in mels])
            encoded = model.encode(feats)
            prompts = [list(prompt) for _ in batch]
            languages = [("en", 1.0)] * len(batch)
            if lang_index is not None:
                languages = [self._choose_language(probs, allowed) for probs in model.model.detect_language(encoded)]
                for p, (lang, _) in zip(prompts, languages):
                    p[lang_index] = tokenizer.tokenizer.token_to_id(f"<|{lang}|>")
            results = model.model.generate(
                encoded, prompts, beam_size=self.config.beam_size, max_length=model.max_length,
                return_scores=True, return_no_speech_prob=True, suppress_blank=True,
                suppress_tokens=[-1], max_initial_timestamp_index=50,
            )
            results = self._retry_loops(encoded, prompts, results, tokenizer)
            for window, (lang, lang_p), r in zip(batch, languages, results):
                offset = window[0].start
                avg_logprob = float(r.scores[0]) if r.scores else 0.0
                silent = (r.no_speech_prob > self.config.no_speech_threshold
                          and avg_logprob < self.config.log_prob_threshold)
                found: dict[int, list[tuple[float, float, str]]] = {id(u): [] for u in window}
                if not silent:
                    for start, end, tokens in timed_segments(
                            r.sequences_ids[0], tokenizer.timestamp_begin, tokenizer.eot,
                            model.time_precision, window[-1].end - offset):
                        text = tokenizer.decode(tokens).strip()
                        if text:
                            u = _best_overlap(window, offset + start, offset + end)
                            found[id(u)].append((offset + start, offset + end, text))
                for u in window:
                    u.language, u.language_probability = lang, lang_p
                    u.avg_logprob, u.no_speech_prob = avg_logprob, float(r.no_speech_prob)
                    sentences[id(u)] = sentence_rows(u, found[id(u)])
            if progress:
                progress(sum(len(w) for w in batch))
        return [s for u in utterances for s in sentences[id(u)]]

    def _retry_loops(self, encoded, prompts, results, tokenizer):  # type: ignore[no-untyped-def]
        """Whisper sometimes loops ("the the the ..."). Like faster-whisper's sequential fallback,
        re-decode a window whose text compresses too well, here with repeated n-grams forbidden."""
        from faster_whisper.transcribe import get_compression_ratio

        loops = [i for i, r in enumerate(results)
                 if get_compression_ratio(tokenizer.decode([t for t in r.sequences_ids[0] if t < tokenizer.eot]))
                 > self.config.compression_ratio_threshold]
        if not loops:
            return results
        import ctranslate2

        subset = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.asarray(encoded)[loops]))
        again = self.model.model.generate(
            subset, [prompts[i] for i in loops], beam_size=max(2, self.config.beam_size),
            max_length=self.model.max_length, return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=[-1], max_initial_timestamp_index=50, no_repeat_ngram_size=3, repetition_penalty=1.2,
        )
        fixed = list(results)
        for i, r in zip(loops, again):
            fixed[i] = r
        return fixed

    @staticmethod
    def _choose_language(probs: list[tuple[str, float]], allowed: list[str]) -> tuple[str, float]:
        """The most probable allowed language, with its probability renormalised over the allowed."""
        scores = {tok[2:-2]: p for tok, p in probs if tok[2:-2] in allowed}
        if not scores:
            return allowed[0], 0.0
        lang = max(scores, key=lambda k: scores[k])
        return lang, float(scores[lang] / (sum(scores.values()) or 1.0))


FRAMES_PER_SECOND = 100  # Whisper's mel hop: 10 ms


def encoder_frames(longest: int, config: AsrConfig, full: int = 3000) -> int:
    """Mel frames of one batch's encoder input: `config.short_window_s` if its longest clip (in
    frames) + the margin fits in it, else Whisper's full window."""
    short = int(round(config.short_window_s * FRAMES_PER_SECOND))
    if 0 < short < full and longest + config.window_margin_s * FRAMES_PER_SECOND <= short:
        return short
    return full


def pack_windows(utterances: Sequence[Utterance], limit: float) -> list[list[Utterance]]:
    """Group consecutive utterances so that each group spans at most `limit` seconds of audio."""
    windows: list[list[Utterance]] = []
    for u in utterances:
        if windows and u.end - windows[-1][0].start <= limit:
            windows[-1].append(u)
        else:
            windows.append([u])
    return windows


def timed_segments(tokens: Sequence[int], timestamp_begin: int, eot: int, precision: float,
                   duration: float) -> list[tuple[float, float, list[int]]]:
    """Split Whisper output tokens at timestamp tokens: [(start, end, text tokens)], times relative
    to the window. Text after the last timestamp (an unfinished segment) ends at `duration`."""
    segments: list[tuple[float, float, list[int]]] = []
    current: list[int] = []
    start = 0.0
    for token in tokens:
        if token >= timestamp_begin:
            time = (token - timestamp_begin) * precision
            if current:
                segments.append((start, max(time, start), current))
                current = []
            start = time
        elif token < eot:
            current.append(token)
    if current:
        segments.append((start, max(duration, start), current))
    return segments


SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’)\]]*(?=\s)")
MIN_SENTENCE_S = 0.4
ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "vs", "prof", "jr", "sr", "e.g", "i.e"})


def split_sentences(text: str) -> list[str]:
    """Split recognised text after sentence-final punctuation (Korean and English)."""
    def after_abbreviation(m: re.Match[str]) -> bool:
        words = text[:m.start()].split()
        return bool(words) and words[-1].lower() in ABBREVIATIONS

    cuts = [m.end() for m in SENTENCE_END.finditer(text) if not after_abbreviation(m)]
    parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    return [p.strip() for p in parts if p.strip()]


def sentence_rows(span: Utterance, segments: Sequence[tuple[float, float, str]]) -> list[Utterance]:
    """One utterance per sentence of the recogniser's timed segments inside a speech span.

    A segment holding several sentences is divided in proportion to their length in characters
    (Whisper's segment timestamps are the finest timing decoded here); times are kept inside the
    span, and a piece shorter than MIN_SENTENCE_S joins its neighbour."""
    pieces: list[tuple[float, float, str]] = []
    for start, end, text in segments:
        start, end = max(start, span.start), min(max(end, start), span.end)
        parts = split_sentences(text) or [text]
        weights = np.array([max(len(p.replace(" ", "")), 1) for p in parts], float)
        bounds = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
        pieces += [(float(a), float(b), p) for a, b, p in zip(bounds[:-1], bounds[1:], parts)]
    merged: list[tuple[float, float, str]] = []
    for piece in pieces:
        if merged and (piece[1] - piece[0] < MIN_SENTENCE_S or merged[-1][1] - merged[-1][0] < MIN_SENTENCE_S):
            a, _, text = merged[-1]
            merged[-1] = (a, piece[1], f"{text} {piece[2]}")
        else:
            merged.append(piece)
    if not merged:
        return [span]
    return [Utterance(round(a, 3), round(max(b, a + 0.01), 3), text, span.language, span.language_probability,
                      span.avg_logprob, span.no_speech_prob, span.speaker) for a, b, text in merged]


def _best_overlap(window: Sequence[Utterance], start: float, end: float) -> Utterance:
    def score(u: Utterance) -> tuple[float, float]:
        overlap = min(u.end, end) - max(u.start, start)
        distance = abs((u.start + u.end) / 2 - (start + end) / 2)
        return overlap, -distance

    return max(window, key=score)
