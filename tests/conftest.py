"""Test media, generated once per session: espeak-ng speech, scikit-image faces, PyAV videos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from unlock_feeling.pipeline import AnalyzeOptions, Analyzer
from synth import Scene, silence, speak, write_video, write_wav

HAPPY_EN = "I am so happy to see you today. This is the best day of my life!"
ANGRY_EN = "Get out of my house! I am so angry with you, stop lying to me!"
KOREAN = "오늘 정말 행복해요. 만나서 너무 반가워요."


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    face = skimage.data.astronaut()  # a smiling face (NASA, public domain)
    out: dict[str, Path] = {}
    Image.fromarray(face).save(d / "astronaut.jpg")
    out["image"] = d / "astronaut.jpg"
    two = np.full((400, 800, 3), 200, np.uint8)  # two people side by side
    two[:, :400] = np.asarray(Image.fromarray(face).resize((400, 400)))
    two[:, 400:] = np.asarray(Image.fromarray(face).resize((400, 400)))[:, ::-1]
    Image.fromarray(two).save(d / "two faces.png")
    out["two_faces"] = d / "two faces.png"
    Image.fromarray(skimage.data.coffee()).save(d / "coffee.png")  # no face
    out["faceless_image"] = d / "coffee.png"

    happy, angry, korean = speak(HAPPY_EN), speak(ANGRY_EN), speak(KOREAN, voice="ko")
    out["speech_en"] = write_wav(d / "speech en.wav", np.concatenate([silence(0.3), happy, silence(0.8), angry, silence(0.3)]))
    out["speech_ko"] = write_wav(d / "한국어 음성.wav", np.concatenate([silence(0.3), korean, silence(0.3)]))
    out["speech_mp3"] = write_wav(d / "speech.mp3", np.concatenate([silence(0.3), happy]), codec="libmp3lame")
    out["silence"] = write_wav(d / "silence.wav", silence(3.0))
    out["short"] = write_wav(d / "short.wav", happy[: int(0.2 * 16000)])

    out["video"] = write_video(d / "talking face.mp4", [
        Scene(face, np.concatenate([silence(0.4), happy, silence(0.8)])),
        Scene(face, np.concatenate([angry, silence(0.5)])),
    ])
    out["video_ko"] = write_video(d / "영상 파일.mp4", [Scene(face, np.concatenate([silence(0.3), korean, silence(0.5)]))])
    out["video_mute"] = write_video(d / "mute.mp4", [Scene(face, silence(5.0))], with_audio=False)
    out["video_faceless_silent"] = write_video(d / "blank.mp4", [Scene(None, silence(3.0))])

    (d / "lines.txt").write_text("오늘 정말 행복해요!\n\n너무 화가 나서 참을 수가 없어!\nI miss her so much, I can't stop crying.\n", encoding="utf-8")
    out["text"] = d / "lines.txt"
    return out


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer(AnalyzeOptions())
