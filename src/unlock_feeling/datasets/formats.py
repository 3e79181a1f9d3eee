"""Loaders for the supported dataset layouts (see docs/datasets.md)."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

from unlock_feeling.datasets.base import LoadReport, Sample, map_label, register
from unlock_feeling.labels import Shares, parse_shares

VIDEO = {".mp4", ".m2ts", ".mkv", ".avi", ".mov", ".webm"}
IMAGE = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(_read_text(path).splitlines()))


@register("aihub-speech")
def aihub_speech(root: Path, report: LoadReport) -> list[Sample]:
    """감성 및 발화 스타일별 음성합성 데이터: labeling/TL*/<k>.<감정>/<speaker>/*.json + source/TS*/.../*.wav."""
    wavs = {p.stem: p for p in root.rglob("*.wav")}
    samples = []
    for js in sorted(root.rglob("*.json")):
        try:
            data = json.loads(_read_text(js))
            raw_label = data["화자정보"]["Emotion"]
            text = data["전사정보"]["TransLabelText"]
        except (ValueError, KeyError, TypeError):
            report.skip("unreadable or incomplete json")
            continue
        wav = wavs.get(js.stem)
        if wav is None:
            report.skip("json without wav")
            continue
        label = map_label(str(raw_label), report)
        if label is None:
            continue
        parts = js.relative_to(root).parts
        split = "val" if any(p.startswith("2.") or p.lower().startswith("valid") or p.startswith("VL") for p in parts) else ""
        samples.append(Sample(f"aihub-speech/{js.stem}", str(wav), label, text.strip(), speaker=js.parent.name,
                              split=split, dataset="aihub-speech", source_label=str(raw_label)))
    orphans = set(wavs) - {js.stem for js in root.rglob("*.json")}
    if orphans:
        report.skipped["wav without json"] += len(orphans)
    return samples


_NUMBER_COLUMNS = ("number", "no", "no.", "id", "index", "번호", "clip", "file")


@register("aihub-video")
def aihub_video(root: Path, report: LoadReport) -> list[Sample]:
    """감정 분류용 데이터셋: clips named *-<number>.<ext> + a CSV (Extracted Text, Emotion) keyed by
    that number; and/or still images in per-emotion folders (기쁨/, 놀람/, ...)."""
    samples: list[Sample] = []
    clips = {}
    for p in root.rglob("*"):
        m = re.search(r"-(\d+)$", p.stem)
        if p.suffix.lower() in VIDEO and m:
            clips[int(m.group(1))] = p
    for table in sorted(root.rglob("*.csv")):
        rows = _csv_rows(table)
        if not rows:
            continue
        header = [h.strip() for h in rows[0]]
        if "Emotion" not in header:
            continue
        lower = [h.lower() for h in header]
        key_col = next((lower.index(c) for c in _NUMBER_COLUMNS if c in lower), None)
        for n, row in enumerate(rows[1:], start=1):
            if len(row) < len(header):
                report.skip("short csv row")
                continue
            cell = row[key_col].strip() if key_col is not None else str(n)
            m = re.search(r"(\d+)(?:\.\w+)?$", cell)
            clip = clips.get(int(m.group(1))) if m else None
            if clip is None:
                report.skip("csv row without clip")
                continue
            raw = row[header.index("Emotion")]
            label = map_label(raw, report)
            if label is None:
                continue
            text = row[header.index("Extracted Text")].strip() if "Extracted Text" in header else ""
            samples.append(Sample(f"aihub-video/{clip.stem}", str(clip), label, text, dataset="aihub-video",
                                  source_label=raw))
    for img in sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE):
        label = map_label(img.parent.name, report)
        if label is None:
            continue
        samples.append(Sample(f"aihub-image/{img.parent.name}/{img.stem}", str(img), label, dataset="aihub-video",
                              source_label=img.parent.name))
    return samples


def _kemdy_speaker(segment: str) -> str:
    m = re.search(r"(Sess\d+).*?(User\d+[MF]?|_[MF]\d*)", segment)
    if m:
        return m.group(2).strip("_") if m.group(2).startswith("User") else f"{m.group(1)}{m.group(2)[:2]}"
    return segment.rsplit("_", 1)[0]


@register("kemdy")
def kemdy(root: Path, report: LoadReport) -> list[Sample]:
    """KEMDy19/20: annotation CSVs with 'Segment ID' and 'Total Evaluation' columns; segment
    <Segment ID>.wav and .txt anywhere below the root."""
    wavs = {p.stem: p for p in root.rglob("*.wav")}
    seen: set[str] = set()
    samples = []
    for table in sorted(root.rglob("*.csv")):
        rows = _csv_rows(table)
        head_i = next((i for i, r in enumerate(rows[:5]) if any(c.strip() == "Segment ID" for c in r)), None)
        if head_i is None:
            continue
        header = [c.strip() for c in rows[head_i]]
        seg_col = header.index("Segment ID")
        emo_col = next((i for i, c in enumerate(header) if c.startswith("Total Evaluation")), None)
        if emo_col is None:
            continue
        for row in rows[head_i + 1:]:
            if len(row) <= max(seg_col, emo_col) or not row[seg_col].strip() or row[emo_col].strip() == "Emotion":
                continue
            seg = row[seg_col].strip()
            if seg in seen:
                continue
            seen.add(seg)
            raw = row[emo_col].strip()
            if ";" in raw:
                report.skip("several emotions (kept the first)")
                raw = raw.split(";")[0]
            label = map_label(raw, report)
            if label is None:
                continue
            wav = wavs.get(seg)
            if wav is None:
                report.skip("segment without wav")
                continue
            txt = wav.with_suffix(".txt")
            text = _read_text(txt).strip() if txt.exists() else ""
            samples.append(Sample(f"kemdy/{seg}", str(wav), label, text, speaker=_kemdy_speaker(seg),
                                  dataset="kemdy", source_label=raw))
    return samples


@register("meld")
def meld(root: Path, report: LoadReport) -> list[Sample]:
    """MELD: {train,dev,test}_sent_emo.csv + clips dia{Dialogue_ID}_utt{Utterance_ID}.mp4."""
    clips = {p.stem: p for p in root.rglob("dia*_utt*.mp4")}
    samples = []
    for name, split in (("train", "train"), ("dev", "val"), ("test", "test")):
        for table in root.rglob(f"{name}_sent_emo.csv"):
            with open(table, encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    stem = f"dia{row['Dialogue_ID']}_utt{row['Utterance_ID']}"
                    clip = clips.get(stem)
                    if clip is None:
                        report.skip("csv row without clip")
                        continue
                    label = map_label(row["Emotion"], report)
                    if label is None:
                        continue
                    samples.append(Sample(f"meld/{split}/{stem}", str(clip), label, row["Utterance"].strip(),
                                          speaker=row.get("Speaker", ""), split=split, dataset="meld",
                                          source_label=row["Emotion"]))
    return samples


_SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
                "dev": "val", "test": "test"}


def _weight(raw: object, report: LoadReport) -> float:
    try:
        w = float(raw) if raw not in (None, "") else 1.0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        w = float("nan")
    if not (w >= 0.0 and w < float("inf")):
        report.skip("weight is not a non-negative number (1 used)")
        return 1.0
    return w


def _shares(raw: object, report: LoadReport) -> Shares:
    """A `shares` cell: `happy:0.6 surprise:0.4`, or in JSONL also an object {"happy": 0.6, ...}."""
    if isinstance(raw, dict):
        raw = " ".join(f"{k}:{v}" for k, v in raw.items())
    try:
        return parse_shares(str(raw or ""))
    except ValueError:
        report.skip("shares are not label:share pairs (the label used alone)")
        return ()


@register("manifest")
def manifest(root: Path, report: LoadReport) -> list[Sample]:
    """A CSV or JSONL file with path, start, end, text, label, speaker, split, weight, shares (path or
    text, and label required; relative paths are relative to the manifest's folder). `shares` is an
    annotators' distribution such as `happy:0.6 surprise:0.4` (a soft label for text training)."""
    files = [root] if root.is_file() else sorted([*root.glob("*.csv"), *root.glob("*.jsonl")])
    samples = []
    counts: dict[str, int] = defaultdict(int)
    for f in files:
        if f.suffix == ".jsonl":
            rows = [json.loads(line) for line in _read_text(f).splitlines() if line.strip()]
        else:
            with open(f, encoding="utf-8-sig", newline="") as h:
                rows = list(csv.DictReader(h))
        for row in rows:
            if not row.get("path") and not row.get("text") or not row.get("label"):
                report.skip("row without path/text or label")
                continue
            label = map_label(str(row["label"]), report)
            if label is None:
                continue
            path = str(row.get("path") or "")
            if path and not Path(path).is_absolute():
                path = str(f.parent / path)
            if path and not Path(path).exists():
                report.skip("missing media file")
                continue
            base = Path(path).stem if path else "text"
            counts[base] += 1
            split = _SPLIT_NAMES.get(str(row.get("split") or "").strip().lower(), "")
            samples.append(Sample(f"manifest/{base}/{counts[base]}", path, label, str(row.get("text") or "").strip(),
                                  speaker=str(row.get("speaker") or ""), split=split,
                                  start=float(row.get("start") or 0.0), end=float(row.get("end") or 0.0),
                                  dataset="manifest", source_label=str(row["label"]),
                                  weight=_weight(row.get("weight"), report),
                                  shares=_shares(row.get("shares"), report)))
    return samples
