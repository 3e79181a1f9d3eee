"""Tiny datasets in every supported layout, generated for the tests (never the real data)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import skimage.data

from synth import Scene, silence, speak, write_video, write_wav

# (Korean folder/label, our label, two Korean sentences, two English sentences)
EMOTIONS = [
    ("기쁨", "happy", ["정말 행복해요, 너무 기뻐요!", "합격했어요, 날아갈 것 같아요!"],
     ["I am so happy today!", "We won, this is wonderful!"]),
    ("놀람", "surprise", ["뭐라고? 진짜야? 말도 안 돼!", "세상에, 깜짝이야!"],
     ["Wait, what? Are you serious?", "Oh my god, I did not expect that!"]),
    ("중립", "neutral", ["회의는 세 시에 시작합니다.", "버스는 십오 분마다 와요."],
     ["The meeting starts at three.", "The bus comes every fifteen minutes."]),
    ("공포", "fear", ["너무 무서워, 누가 따라와.", "살려 주세요, 겁나요!"],
     ["I am scared, someone is following me.", "Help me, I am terrified!"]),
    ("혐오", "disgust", ["으, 역겨워, 토할 것 같아.", "더러워, 냄새가 끔찍해."],
     ["Ew, that is disgusting.", "Gross, this food is rotten."]),
    ("분노", "angry", ["너무 화나, 당장 나가!", "또 거짓말했지, 정말 열받아!"],
     ["I am so angry, get out!", "You lied to me again, I am furious!"]),
    ("슬픔", "sad", ["너무 슬퍼요, 보고 싶어요.", "혼자라서 외롭고 눈물이 나요."],
     ["I miss her so much, I am sad.", "I feel so lonely and I want to cry."]),
]


def _speech(text: str, voice: str) -> np.ndarray:
    return np.concatenate([silence(0.2), speak(text, voice=voice, speed=170), silence(0.2)])


def make_aihub_speech(root: Path, speakers: int = 3) -> Path:
    """1.Training/labeling/TL1/<k>.<감정>/<speaker>/*.json + source/TS1/... wav; 2.Validation/VL1, VS1."""
    for k, (ko, _, ko_lines, _) in enumerate(EMOTIONS + [("불안", None, ["불안해요.", "초조해요."], [])], start=1):
        for spk in range(speakers + 1):
            part, lab, src = ("2.Validation", "VL1", "VS1") if spk == speakers else ("1.Training", "TL1", "TS1")
            speaker = f"000{spk}_G1A{spk}E{k}S0C0_스피커{spk}"
            for n, line in enumerate(ko_lines[:1] if spk else ko_lines):
                stem = f"{speaker}_{n:06d}"
                jdir = root / part / "labeling" / lab / f"{k}.{ko}" / speaker
                wdir = root / part / "source" / src / f"{k}.{ko}" / speaker
                jdir.mkdir(parents=True, exist_ok=True)
                wdir.mkdir(parents=True, exist_ok=True)
                (jdir / f"{stem}.json").write_text(json.dumps(
                    {"화자정보": {"SpeakerName": speaker, "Emotion": ko}, "전사정보": {"TransLabelText": line}},
                    ensure_ascii=False), encoding="utf-8")
                write_wav(wdir / f"{stem}.wav", _speech(line, "ko"))
    return root


def make_aihub_video(root: Path) -> Path:
    """clips '<name>-<number>.mp4' + a CSV keyed by number; per-emotion image folders."""
    face = skimage.data.astronaut()
    root.mkdir(parents=True, exist_ok=True)
    rows = [["번호", "Extracted Text", "Emotion"]]
    for n, (ko, _, ko_lines, _) in enumerate(EMOTIONS, start=1):
        write_video(root / f"감정 영상-{n}.mp4", [Scene(face, _speech(ko_lines[0], "ko"))], size=(320, 240), fps=5)
        rows.append([str(n), ko_lines[0], ko])
    with open(root / "labels.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    from PIL import Image

    for folder in ("기쁨", "놀람"):
        (root / "images" / folder).mkdir(parents=True, exist_ok=True)
        Image.fromarray(face).save(root / "images" / folder / "img 1.jpg")
    return root


def make_kemdy(root: Path) -> Path:
    """Session folders of segment wav + txt; an annotation CSV with a two-row header."""
    names = {"happy": "happy", "surprise": "surprise", "neutral": "neutral", "fear": "fear",
             "disgust": "disqust", "angry": "angry", "sad": "sad"}
    rows = [["Numb", "Wav", "", "Segment ID", "Total Evaluation", "", ""],
            ["", "start", "end", "", "Emotion", "Valence", "Arousal"]]
    for user in (2, 3):
        sess = root / "wav" / "Session01"
        sess.mkdir(parents=True, exist_ok=True)
        for i, (_, ours, ko_lines, _) in enumerate(EMOTIONS):
            seg = f"Sess01_script01_User00{user}M_{i:03d}"
            write_wav(sess / f"{seg}.wav", _speech(ko_lines[user % 2], "ko"))
            (sess / f"{seg}.txt").write_text(ko_lines[user % 2], encoding="cp949")
            label = names[ours] if i != 3 else "fear;neutral"
            rows.append([str(len(rows)), "0", "1", seg, label, "3", "3"])
    rows.append([str(len(rows)), "0", "1", "Sess01_script01_User002M_999", "contempt", "1", "1"])
    (root / "annotation").mkdir(parents=True, exist_ok=True)
    with open(root / "annotation" / "Sess01_eval.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return root


def make_meld(root: Path) -> Path:
    names = {"happy": "joy", "surprise": "surprise", "neutral": "neutral", "fear": "fear",
             "disgust": "disgust", "angry": "anger", "sad": "sadness"}
    face = skimage.data.astronaut()
    for split, folder in (("train", "train_splits"), ("dev", "dev_splits"), ("test", "output_repeated_splits_test")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        rows = [["Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID",
                 "Season", "Episode", "StartTime", "EndTime"]]
        for i, (_, ours, _, en_lines) in enumerate(EMOTIONS):
            line = en_lines[0 if split == "train" else 1]
            write_video(root / folder / f"dia{i}_utt0.mp4", [Scene(face, _speech(line, "en-us"))], size=(320, 240), fps=5)
            rows.append([str(i), line, "Monica", names[ours], "neutral", str(i), "0", "1", "1", "00:00:01,000", "00:00:03,000"])
        with open(root / f"{split}_sent_emo.csv", "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    return root


def make_manifest(root: Path) -> Path:
    """A CSV manifest: English speech wavs, two speakers, no splits given (split by speaker)."""
    root.mkdir(parents=True, exist_ok=True)
    rows = [["path", "label", "text", "speaker", "split"]]
    for s in range(4):
        for _, ours, _, en_lines in EMOTIONS:
            line = en_lines[s % 2]
            name = f"{ours}_{s}.wav"
            write_wav(root / name, _speech(line, "en-us"))
            rows.append([name, ours, line, f"speaker{s}", ""])
    rows.append(["missing.wav", "happy", "hello", "speaker0", ""])
    rows.append(["happy_0.wav", "contempt", "hm", "speaker0", ""])
    with open(root / "manifest.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return root / "manifest.csv"
