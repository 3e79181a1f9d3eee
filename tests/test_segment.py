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
