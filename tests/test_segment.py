"""Sentence rows from the recogniser's timed segments."""

import pytest


def test_sentence_split_and_timing():
    from unlock_feeling.segment.asr import sentence_rows, split_sentences
    from unlock_feeling.segment.vad import Utterance

    assert split_sentences('I am happy. Are you? "Yes!" he said. 정말요? 네 좋아요. Mr. Smith left.') == [
        "I am happy.", "Are you?", '"Yes!"', "he said.", "정말요?", "네 좋아요.", "Mr. Smith left."]
    span = Utterance(1.0, 9.0, language="en", speaker="S1")
    rows = sentence_rows(span, [(0.5, 5.0, "We won the championship! I cannot believe it."),
                                (5.2, 8.0, "Then the rain started. Ok.")])
    assert [r.text for r in rows] == ["We won the championship!", "I cannot believe it.", "Then the rain started. Ok."]
    assert rows[0].start == 1.0 and rows[-1].end == 8.0  # kept inside the span
    assert rows[0].end == rows[1].start and rows[0].end - 1.0 == pytest.approx(4.0 * 21 / 38, abs=0.01)  # by characters
    assert all(r.language == "en" and r.speaker == "S1" for r in rows)
    assert sentence_rows(span, []) == [span]  # nothing recognised: the span stays, without text


def _u(start: float, end: float, text: str = ""):  # type: ignore[no-untyped-def]
    from unlock_feeling.segment.vad import Utterance

    return Utterance(start, end, text)


def test_pack_windows_respects_the_limit():
    from unlock_feeling.segment.asr import pack_windows

    assert pack_windows([], 29.5) == []
    spans = [_u(0, 10), _u(12, 20), _u(21, 29.5), _u(30, 31), _u(60, 100)]  # the last is longer than the limit
    windows = pack_windows(spans, 29.5)
    assert [[u.start for u in w] for w in windows] == [[0, 12, 21], [30], [60]]
    assert all(w[-1].end - w[0].start <= 29.5 for w in windows if len(w) > 1)
    assert [u for w in windows for u in w] == spans  # order kept, nothing lost


def test_only_short_windows_get_a_short_encoder_input():
    from unlock_feeling.segment.asr import AsrConfig, encoder_frames

    cfg = AsrConfig()  # 10 s for windows whose audio + 2 s margin fits; else Whisper's 30 s
    assert encoder_frames(150, cfg) == 1000  # a 1.5 s clip
    assert encoder_frames(800, cfg) == 1000  # 8 s + 2 s: still fits
    assert encoder_frames(801, cfg) == 3000  # longer windows: the full window, as Whisper was trained
    assert encoder_frames(2950, cfg) == 3000
    assert encoder_frames(150, AsrConfig(short_window_s=30.0)) == 3000  # Whisper's fixed window
    assert encoder_frames(150, AsrConfig(short_window_s=0.0)) == 3000
    assert encoder_frames(150, AsrConfig(short_window_s=5.0, window_margin_s=0.0)) == 500


def test_short_clip_is_recognised_alike_with_a_short_encoder_window():
    """The 10 s window (default) must hear a short sentence as Whisper's 30 s window does."""
    import numpy as np
    from synth import silence, speak

    from unlock_feeling.segment.asr import AsrConfig, Transcriber
    from unlock_feeling.segment.vad import VadConfig, speech_spans

    audio = np.concatenate([silence(0.3), speak("The train to Busan leaves from platform four at noon."),
                            silence(0.3)])
    spans = speech_spans(audio, VadConfig())
    texts = []
    for window in (AsrConfig.short_window_s, 30.0):
        rows = Transcriber(AsrConfig(languages=("en",), short_window_s=window)).transcribe(audio, spans)
        texts.append(" ".join(u.text for u in rows).lower().strip(" ."))
    assert "leaves from platform 4 at noon" in texts[0]
    assert texts[0] == texts[1]


def test_timed_segments_from_whisper_tokens():
    from unlock_feeling.segment.asr import timed_segments

    ts, eot = 1000, 900  # timestamp tokens start at 1000 (0.02 s each); 900 = end of text
    tokens = [ts + 0, 5, 6, ts + 50, ts + 50, 7, ts + 120, 8, 9]  # last segment unfinished
    assert timed_segments(tokens, ts, eot, 0.02, 3.0) == [(0.0, 1.0, [5, 6]), (1.0, 2.4, [7]), (2.4, 3.0, [8, 9])]
    assert timed_segments([5, eot, 950, 6], ts, eot, 0.02, 2.0) == [(0.0, 2.0, [5, 6])]  # specials dropped
    assert timed_segments([ts + 10, ts + 20], ts, eot, 0.02, 1.0) == []  # no text
    assert timed_segments([ts + 30, 5, ts + 10], ts, eot, 0.02, 1.0) == [(0.6, 0.6, [5])]  # end never before start


def test_best_overlap_prefers_overlap_then_nearest_centre():
    from unlock_feeling.segment.asr import _best_overlap

    window = [_u(0, 2), _u(3, 6), _u(8, 9)]
    assert _best_overlap(window, 2.5, 5.0) is window[1]
    assert _best_overlap(window, 6.5, 7.0) is window[1]  # no overlap: the least negative gap
    assert _best_overlap(window, 8.2, 8.4) is window[2]


def test_choose_language_renormalises_over_the_allowed():
    from unlock_feeling.segment.asr import Transcriber

    probs = [("<|ja|>", 0.5), ("<|ko|>", 0.3), ("<|en|>", 0.1)]
    lang, p = Transcriber._choose_language(probs, ["ko", "en"])
    assert lang == "ko" and abs(p - 0.75) < 1e-9
    assert Transcriber._choose_language([("<|ja|>", 1.0)], ["ko", "en"]) == ("ko", 0.0)  # none allowed: first
    assert Transcriber._choose_language(probs, ["en"]) == ("en", 1.0)


def test_cluster_edge_cases():
    import numpy as np

    from unlock_feeling.segment.speakers import SpeakerConfig, cluster

    assert cluster(np.zeros((0, 4)), []) == []
    one = np.array([[1.0, 0, 0, 0]])
    assert cluster(one, [3.0]) == ["S1"]
    a, b = np.array([1.0, 0, 0, 0]), np.array([0, 1.0, 0, 0])
    near_a = np.array([0.99, 0.14, 0, 0])
    near_a /= np.linalg.norm(near_a)
    # S-numbers follow first appearance, whatever the clustering calls them
    assert cluster(np.stack([b, a, b]), [2, 2, 2]) == ["S1", "S2", "S1"]
    # short utterances take the speaker of the most similar long one
    assert cluster(np.stack([a, b, near_a]), [2, 2, 0.3]) == ["S1", "S2", "S1"]
    # all short: clustered among themselves rather than dropped
    assert cluster(np.stack([a, b]), [0.1, 0.1]) == ["S1", "S2"]
    # the threshold decides: a loose one merges everything
    assert cluster(np.stack([a, b]), [2, 2], SpeakerConfig(threshold=1.5)) == ["S1", "S1"]


def test_average_linkage_equals_scikit_learn():
    import numpy as np

    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    from unlock_feeling.segment.speakers import average_linkage

    def partition(labels):  # type: ignore[no-untyped-def]
        groups: dict[int, set[int]] = {}
        for i, lab in enumerate(labels):
            groups.setdefault(int(lab), set()).add(i)
        return sorted(map(sorted, groups.values()))

    rng = np.random.default_rng(0)
    for _ in range(100):
        k, n = int(rng.integers(1, 5)), int(rng.integers(2, 40))
        centres = rng.normal(size=(k, 16))
        x = centres[rng.integers(0, k, n)] + rng.normal(scale=rng.uniform(0.1, 1.0), size=(n, 16))
        threshold = float(rng.uniform(0.05, 0.8))
        ref = sklearn_cluster.AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                                      distance_threshold=threshold).fit(x).labels_
        assert partition(average_linkage(x, threshold)) == partition(ref)


def test_long_audio_is_searched_for_speech_in_chunks(monkeypatch):
    """Chunked voice activity detection finds the same speech (a span crossing a chunk boundary
    is cut there, nothing is lost)."""
    import numpy as np

    from synth import silence, speak
    from unlock_feeling.segment import vad

    audio = np.concatenate([np.concatenate([silence(1.0), speak(t)]) for t in
                            ("The meeting starts at three.", "Please send me the report.", "I miss her so much.",
                             "We won the championship today.")] + [silence(1.0)])
    whole = vad.speech_spans(audio)
    monkeypatch.setattr(vad, "CHUNK_SECONDS", 3.0)
    chunked = vad.speech_spans(audio)
    assert len(chunked) >= len(whole) >= 4

    def covered(spans, t):  # type: ignore[no-untyped-def]
        return any(u.start - 0.3 <= t <= u.end + 0.3 for u in spans)

    for u in whole:  # every moment of speech found whole is found in chunks too
        assert all(covered(chunked, t) for t in np.arange(u.start, u.end, 0.1))
    assert all(int(u.start // 3.0) == int((u.end - 1e-3) // 3.0) for u in chunked)  # none crosses a boundary


def test_context_window_stays_inside_its_speech_span():
    from unlock_feeling.segment.speakers import context_window

    spans = [(0.0, 10.0), (11.0, 12.5)]
    assert context_window(4.0, 5.0, spans, 3.0) == (3.0, 6.0)  # widened around its middle
    assert context_window(0.2, 1.0, spans, 3.0) == (0.0, 3.0)  # shifted at the span's start
    assert context_window(9.5, 10.0, spans, 3.0) == (7.0, 10.0)  # and at its end
    assert context_window(11.2, 12.0, spans, 3.0) == (11.0, 12.5)  # never across the pause
    assert context_window(2.0, 6.0, spans, 3.0) == (2.0, 6.0)  # long enough already
