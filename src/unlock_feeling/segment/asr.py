"""Speech recognition with faster-whisper, batched over utterance clips.

The VAD already cut the audio into utterances, so each clip (< 30 s) is one Whisper window: the
encoder runs on a batch of clips, the language is chosen per clip among the allowed languages
from Whisper's own language probabilities, and the decoder runs on the batch with each clip's
language token. This is faster-whisper's BatchedInferencePipeline with per-clip language choice.
"""

from __future__ import annotations

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
    beam_size: int = 1
    batch_size: int = 8
    threads: int = 2
    compute_type: str = "int8"
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0


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

    @cached_property
    def model(self):  # type: ignore[no-untyped-def]
        from faster_whisper import WhisperModel

        return WhisperModel(_resolve_model(self.config.model), device="cpu",
                            compute_type=self.config.compute_type, cpu_threads=self.config.threads)

    def transcribe(self, audio: np.ndarray, utterances: Sequence[Utterance],
                   progress: Callable[[int], None] | None = None) -> list[Utterance]:
        """Fill text and language of each utterance (in place) and return them."""
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        model = self.model
        allowed = [lang for lang in self.config.languages]
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                              language=allowed[0] if model.model.is_multilingual else "en")
        prompt = model.get_prompt(tokenizer, [], without_timestamps=True)
        lang_index = prompt.index(tokenizer.language) if model.model.is_multilingual else None
        bs = max(1, self.config.batch_size)
        for i in range(0, len(utterances), bs):
            batch = list(utterances[i:i + bs])
            feats = np.stack([
                pad_or_trim(model.feature_extractor(
                    audio[int(u.start * SAMPLE_RATE):int(u.end * SAMPLE_RATE)])[..., :-1])
                for u in batch
            ])
            encoded = model.encode(feats)
            prompts = [list(prompt) for _ in batch]
            if lang_index is not None:
                for u, p, probs in zip(batch, prompts, model.model.detect_language(encoded)):
                    scores = {tok[2:-2]: pr for tok, pr in probs if tok[2:-2] in allowed}
                    lang = max(scores, key=scores.get) if scores else allowed[0]
                    total = sum(scores.values()) or 1.0
                    u.language, u.language_probability = lang, float(scores.get(lang, 0.0) / total)
                    p[lang_index] = tokenizer.tokenizer.token_to_id(f"<|{lang}|>")
            else:
                for u in batch:
                    u.language, u.language_probability = "en", 1.0
            results = model.model.generate(
                encoded, prompts, beam_size=self.config.beam_size, max_length=model.max_length,
                return_scores=True, return_no_speech_prob=True, suppress_blank=True,
                suppress_tokens=[-1], repetition_penalty=1.0, no_repeat_ngram_size=0,
            )
            for u, r in zip(batch, results):
                tokens = [t for t in r.sequences_ids[0] if t < tokenizer.eot]
                u.avg_logprob = float(r.scores[0]) if r.scores else 0.0
                u.no_speech_prob = float(r.no_speech_prob)
                text = tokenizer.decode(tokens).strip()
                silent = (u.no_speech_prob > self.config.no_speech_threshold
                          and u.avg_logprob < self.config.log_prob_threshold)
                u.text = "" if silent else text
            if progress:
                progress(len(batch))
        return list(utterances)
