"""End-to-end analysis of each input kind on real models and generated media."""

import re
from pathlib import Path

import numpy as np
import pytest

from unlock_feeling.extract.face import FaceFeatureConfig
from unlock_feeling.labels import LABELS
from unlock_feeling.pipeline import AnalyzeOptions, Analyzer
from unlock_feeling.result import COLUMNS


def _check_contract(df):
    assert list(df.columns[: len(COLUMNS)]) == list(COLUMNS)
    fused = df[list(LABELS)].to_numpy()
    assert np.allclose(fused.sum(axis=1), 1.0, atol=1e-6)
    assert (df["emotion"] == [LABELS[i] for i in fused.argmax(axis=1)]).all()
    assert np.allclose(df["confidence"], fused.max(axis=1), atol=1e-4)
    for modality in ("text", "face"):
        cols = [f"{modality}_{label}" for label in LABELS]
        present = df["modalities"].str.contains(modality)
        sums = df.loc[present, cols].sum(axis=1)
        assert np.allclose(sums, 1.0, atol=1e-5)
        assert df.loc[~present, cols].isna().all().all()
    assert df[[f"voice_{label}" for label in LABELS]].isna().all().all()


def test_text_file(analyzer, media):
    df = analyzer.analyze(media["text"])
    _check_contract(df)
    assert len(df) == 3  # the empty line is skipped
    assert list(df["language"]) == ["ko", "ko", "en"]
    assert list(df["emotion"]) == ["happy", "angry", "sad"]
    assert (df["modalities"] == "text").all()
    assert df["start"].isna().all()
    assert df["asr_avg_logprob"].isna().all()


def test_text_lines_without_letters_take_the_files_language(analyzer, tmp_path):
    """An emoji or punctuation line is not English: it takes the language of most lines of its
    file, and a file of such lines only tells none."""
    chat = tmp_path / "chat.txt"
    chat.write_text("오늘 정말 최고였어!\n😭😭😭\n...\n진짜 너무 고마워\nok\n", encoding="utf-8")
    assert list(analyzer.analyze(chat)["language"]) == ["ko", "ko", "ko", "ko", "en"]
    emoji = tmp_path / "emoji.txt"
    emoji.write_text("😭😭\n🎉🎉🎉\n", encoding="utf-8")
    df = analyzer.analyze(emoji)
    assert list(df["language"]) == ["", ""] and list(df["emotion"])[1] in LABELS


def test_a_text_line_too_long_for_the_model_is_split_into_sentences(analyzer, tmp_path):
    """No text is cut off at the model's 128-token window: a long line becomes rows of whole
    sentences that each fit, in order; a short line of two sentences stays one row."""
    sad = ["My grandmother passed away last night and I could not say goodbye to her.",
           "I keep looking at her old photos and crying alone in my room.",
           "The house feels so empty and quiet without her voice.",
           "Nothing anyone says makes this pain any lighter."]
    long_line = " ".join(sad * 3)
    notes = tmp_path / "notes.txt"
    notes.write_text(f"{long_line}\nWhat a lovely surprise! Thank you so much.\n", encoding="utf-8")
    encoder = analyzer.extractors.text.model.encoder
    assert not encoder.fits(long_line)
    df = analyzer.analyze(notes)
    rows = list(df["text"])
    assert len(rows) >= 2 and rows[-1] == "What a lovely surprise! Thank you so much."
    assert " ".join(rows[:-1]) == long_line
    assert all(encoder.fits(r) for r in rows)
    assert (df["emotion"].iloc[:-1] == "sad").all()


def test_image_smiling_face(analyzer, media):
    df = analyzer.analyze(media["image"])
    _check_contract(df)
    assert len(df) == 1
    row = df.iloc[0]
    assert row["emotion"] == "happy" and row["face_happy"] > 0.8
    assert row["modalities"] == "face" and row["face_count"] == 1 and row["face_frames"] == 1


def test_image_with_two_faces_counts_them(analyzer, media):
    row = analyzer.analyze(media["two_faces"]).iloc[0]
    assert row["face_count"] == 2
    assert row["emotion"] == "happy"


def test_english_audio_transcript_and_emotions(analyzer, media):
    df = analyzer.analyze(media["speech_en"])
    _check_contract(df)
    assert len(df) == 5  # one row per sentence: two in the happy utterance, three in the angry one
    first = df.iloc[0]
    assert "happy" in first["text"].lower() and "best day" in df.iloc[1]["text"].lower()
    assert "angry" in " ".join(df["text"].iloc[2:]).lower()
    assert (df["language"] == "en").all()
    assert first["emotion"] == "happy" and "angry" in set(df["emotion"].iloc[2:])
    assert (df["start"].to_numpy()[1:] >= df["end"].to_numpy()[:-1] - 1e-3).all()
    assert (df["end"] > df["start"]).all()
    assert abs(first["start"] - 0.3) < 0.5
    assert (df["modalities"] == "text").all()
    # real voice features: espeak's default voice is a low male voice, ~80-160 Hz
    assert 60 < first["f0_median_hz"] < 200 and 0 < first["voiced_ratio"] <= 1
    assert first["speaking_rate"] > 1
    # the recogniser's own confidence, to filter bad transcripts
    assert (df["language_probability"] > 0.5).all() and (df["asr_avg_logprob"] < 0).all()
    assert df["asr_no_speech_prob"].between(0, 1).all()


def test_mp3_audio(analyzer, media):
    df = analyzer.analyze(media["speech_mp3"])
    assert "happy" in " ".join(df["text"]).lower()


_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_forced_language_changes_the_transcript(media):
    # espeak's Korean is barely intelligible to Whisper base, so the words are not checked; forcing
    # the language must still give Hangul (ko) or Latin (en) text and the right timing
    from unlock_feeling.pipeline import analyze

    ko = analyze(media["speech_ko"], language="ko", speakers=False)
    assert set(ko["language"]) == {"ko"} and all(_HANGUL.search(t) for t in ko["text"]), list(ko["text"])
    assert ko["start"].min() < 1.0 and ko["end"].max() > 1.5
    en = analyze(media["speech_ko"], language="en", speakers=False)
    assert set(en["language"]) == {"en"} and not any(_HANGUL.search(t) for t in en["text"]), list(en["text"])


def test_auto_language_tells_korean_from_english(analyzer, media, tmp_path):
    from synth import silence, speak, write_wav

    # slow, plain Korean is the espeak-ng Korean that Whisper base recognises as Korean
    korean = speak("안녕하세요. 오늘 날씨가 정말 좋네요. 저는 학교에 갑니다.", voice="ko", speed=100)
    df = analyzer.analyze(write_wav(tmp_path / "ko.wav", np.concatenate([silence(0.3), korean, silence(0.3)])))
    assert set(df["language"]) == {"ko"} and "안녕" in "".join(df["text"]), list(df["text"])
    assert (df["language_probability"] > 0.5).all()
    en = analyzer.analyze(media["speech_en"])
    assert set(en["language"]) == {"en"} and (en["language_probability"] > 0.5).all()


def test_video_with_speech(analyzer, media):
    df = analyzer.analyze(media["video"])
    _check_contract(df)
    assert len(df) == 5  # sentences (2 + 3)
    assert (df["modalities"] == "text+face").all()
    assert (df["face_frames"] >= 3).all()
    assert (df["face_happy"] > 0.8).all()  # the astronaut smiles throughout
    assert df.iloc[0]["emotion"] == "happy"
    assert "happy" in df.iloc[0]["text"].lower()
    assert df["text_angry"].iloc[2:].max() > 0.5


def test_video_without_audio_uses_windows(analyzer, media):
    df = analyzer.analyze(media["video_mute"])
    _check_contract(df)
    assert len(df) == 3  # 5 s in 2 s windows
    assert (df["modalities"] == "face").all()
    assert (df["emotion"] == "happy").all()
    assert df.iloc[-1]["end"] == pytest.approx(5.0, abs=0.2)
    assert (df["text"] == "").all() and df["f0_median_hz"].isna().all()


def test_korean_video_with_forced_language(media):
    from unlock_feeling.pipeline import analyze

    df = analyze(media["video_ko"], language="ko", face=FaceFeatureConfig(fps=2))
    assert (df["language"] == "ko").all() and all(_HANGUL.search(t) for t in df["text"]), list(df["text"])
    assert df["face_happy"].iloc[0] > 0.5
    assert (df["face_frames"] >= 1).all()


def test_face_model_choices(media):
    """Each expression model gives its own reading (the option is not ignored), all see the smile."""
    from unlock_feeling.pipeline import analyze

    columns = [f"face_{label}" for label in LABELS]
    readings = {}
    for model in ("faceapi", "fer", "ensemble"):
        row = analyze(media["image"], face=FaceFeatureConfig(expression=model)).iloc[0]
        assert row["emotion"] == "happy", model
        readings[model] = row[columns].to_numpy(float)
    # a clear smile: every model is sure, so the readings differ only a little, but an ignored
    # option would give identical numbers (the models are deterministic)
    assert np.abs(readings["faceapi"] - readings["fer"]).max() > 1e-5
    assert np.abs(readings["ensemble"] - readings["faceapi"]).max() > 1e-5
    assert np.abs(readings["ensemble"] - readings["fer"]).max() > 1e-5


@pytest.mark.parametrize("suffix,codec", [(".flac", "flac"), (".m4a", "aac"), (".ogg", "libopus")])
def test_other_audio_formats(analyzer, media, tmp_path, suffix, codec):
    from unlock_feeling.media.decode import load_audio
    from synth import write_wav

    path = write_wav(tmp_path / f"speech{suffix}", load_audio(media["speech_en"]), codec=codec)
    df = analyzer.analyze(path)
    assert "happy" in df.iloc[0]["text"].lower() and df.iloc[0]["emotion"] == "happy"


def test_webp_image(analyzer, media, tmp_path):
    from PIL import Image

    path = tmp_path / "face.webp"
    Image.open(media["image"]).save(path)
    assert analyzer.analyze(path).iloc[0]["emotion"] == "happy"


def test_speaker_ids_for_two_voices(analyzer, tmp_path):
    from synth import silence, speak, write_wav

    lines = [("en-us", "I am so happy to see you all today, this is wonderful news."),
             ("en-us+f3", "The meeting starts at three o'clock in the main room."),
             ("en-us", "Please send me the report before Friday afternoon."),
             ("en-us+f3", "I miss her so much, I just want to cry.")]
    audio = np.concatenate([np.concatenate([speak(text, voice=voice), silence(0.8)]) for voice, text in lines])
    df = analyzer.analyze(write_wav(tmp_path / "two voices.wav", audio))
    assert 4 <= len(df) <= 6, list(df["text"])  # one row per sentence (Whisper may end a sentence at a comma)
    keys = ["happy", "meeting", "report", "miss"]
    speaker_of = {k: df.loc[df["text"].str.lower().str.contains(k), "speaker"].iloc[0] for k in keys}
    assert [speaker_of[k] for k in keys] == ["S1", "S2", "S1", "S2"], df[["text", "speaker"]]
    assert df["speaker"].nunique() == 2


def test_one_utterance_needs_no_speaker_model(tmp_path):
    """A short clip with one sentence is S1 without loading (or preloading) the speaker model."""
    from synth import silence, speak, write_wav

    clip = write_wav(tmp_path / "one.wav", np.concatenate([silence(0.3), speak("I am so happy today."), silence(0.3)]))
    fresh = Analyzer(AnalyzeOptions())
    df = fresh.analyze(clip)
    assert len(df) == 1 and df.iloc[0]["speaker"] == "S1"
    assert "speaker_encoder" not in fresh.__dict__ and "speakers" not in fresh._loading


def test_speaker_encoder_matches_resemblyzer():
    """The numpy port (float16-stored weights, numpy mel) against Resemblyzer's own embeddings of
    the same deterministic signals, recorded by tools/speaker_reference.py."""
    from unlock_feeling.segment.speakers import SpeakerEncoder
    from voices import signals

    reference = np.load(Path(__file__).parent / "fixtures" / "speaker_reference.npy")
    ours = np.stack([SpeakerEncoder().embed(s) for s in signals()])
    assert ours.shape == reference.shape == (3, 256)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert (np.sum(ours * reference, axis=1) > 0.9999).all(), np.sum(ours * reference, axis=1)


def test_speaker_embeddings_cluster_by_voice():
    from unlock_feeling.segment.speakers import SpeakerEncoder, cluster
    from synth import speak

    enc = SpeakerEncoder()
    a = enc.embed(speak("Hello there, how are you doing today?"))
    b = enc.embed(speak("The weather is nice in the park this afternoon."))
    c = enc.embed(speak("Hello there, how are you doing today?", voice="en-us+f3"))
    assert float(a @ b) > float(a @ c)  # same voice, other words is closer than other voice, same words
    assert cluster(np.stack([a, b, c]), [2.0, 2.0, 2.0]) == ["S1", "S1", "S2"]


def test_one_row_per_sentence(analyzer, tmp_path):
    """Ten sentences in one espeak-ng call (only its own short pauses): one row each, not one 18 s row."""
    from synth import silence, speak, write_wav

    sentences = ["We finally won the championship today.", "I cannot believe how lucky we were.",
                 "Then the rain started to fall.", "Everyone ran back to the bus.", "The driver was very angry.",
                 "He shouted at all of us.", "My sister started to cry.", "She had lost her favourite bag.",
                 "We searched the whole stadium.", "In the end we found it under a seat."]
    wav = write_wav(tmp_path / "ten.wav", np.concatenate([silence(0.3), speak(" ".join(sentences)), silence(0.3)]))
    df = analyzer.analyze(wav)
    assert abs(len(df) - len(sentences)) <= 1, list(df["text"])
    assert (df["end"] - df["start"]).max() < 10
    assert (df["text"].str.len() > 0).all()
    assert sum(t.count(".") for t in df["text"]) == pytest.approx(len(sentences), abs=1)
