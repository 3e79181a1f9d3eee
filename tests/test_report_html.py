"""The HTML report escapes whatever the transcript or file name holds, and reads trimmed tables."""

import pandas as pd

from unlock_feeling.labels import LABELS
from unlock_feeling.report.html import render_html


def _table(text: str, source: str) -> pd.DataFrame:
    row = {"source": source, "start": 0.0, "end": 2.0, "text": text, "emotion": "happy", "confidence": 0.9,
           "modalities": "text", **{label: 1 / 7 for label in LABELS}, **{f"text_{label}": 1 / 7 for label in LABELS}}
    return pd.DataFrame([row, {**row, "start": 2.0, "end": 3.5}])


def test_transcript_and_file_name_are_escaped():
    hostile = render_html(_table("</script><script>alert(1)</script> & <b>x</b>", "<img src=x onerror=alert(2)>.mp4"))
    benign = render_html(_table("hello there", "clip.mp4"))
    assert "<script>alert(1)" not in hostile and "<img src=x" not in hostile and "<b>x</b>" not in hostile
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in hostile
    assert "&lt;img src=x onerror=alert(2)&gt;.mp4" in hostile
    # the transcript added no script element of its own
    assert hostile.lower().count("<script") == benign.lower().count("<script")
    assert hostile.lower().count("</script>") == benign.lower().count("</script>")


def test_a_table_without_modality_columns_still_renders():
    df = _table("hello there", "clip.mp4").drop(columns=[f"text_{label}" for label in LABELS])
    page = render_html(df)
    assert "hello there" in page and "id='utterances'" in page


def test_the_footer_records_what_produced_the_table():
    df = _table("hello there", "clip.mp4")
    assert "id='provenance'" not in render_html(df)  # nothing recorded, nothing claimed
    df.attrs["unlock_feeling"] = {"version": "9.9.9", "created": "2026-11-28T12:00:00+00:00",
                                  "models": {"whisper-base": "d01c3014881c9c6f0000"}, "options": {"language": "en"}}
    page = render_html(df)
    assert "id='provenance'" in page and "unlock-feeling 9.9.9" in page and "whisper-base <code>d01c3014881c</code>" in page
