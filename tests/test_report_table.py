"""report/table.py: result rows written as CSV/JSON without pandas read back like the DataFrame
path writes them; the one-file CLI never imports pandas for CSV/JSON."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from unlock_feeling.report.table import write_rows, write_table
from unlock_feeling.result import COLUMNS, PROVENANCE_KEY, UtteranceResult, to_frame


def _results() -> list[UtteranceResult]:
    p = np.array([0.6, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])
    return [
        UtteranceResult("a.mp4", 0.25, 2.5, 'He said "hi", then left', "en", "S1", p,
                        {"text": p, "face": p[::-1] / p.sum(), "voice": None}, face_frames=3, face_count=1,
                        language_probability=0.9876543, asr_avg_logprob=-0.25, asr_no_speech_prob=0.01,
                        prosody=None, face_time=1.2, face_box=(0.1, 0.2, 0.3, 0.4)),
        UtteranceResult("a.mp4", math.nan, math.nan, "오늘 정말 행복해요!\nnew line", "ko", "", p[::-1].copy(),
                        {"text": p[::-1].copy(), "face": None, "voice": None}),
    ]


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_rows_read_back_like_the_frame(tmp_path, suffix):
    results = _results()
    info = {"version": "x", "options": {"language": "auto"}}
    frame = to_frame(results, None)
    frame.attrs[PROVENANCE_KEY] = info
    ours, theirs = tmp_path / f"rows{suffix}", tmp_path / f"frame{suffix}"
    write_rows([r.row() for r in results], info, ours)
    write_table(frame, theirs)
    if suffix == ".csv":
        a, b = pd.read_csv(ours, keep_default_na=False), pd.read_csv(theirs, keep_default_na=False)
        pd.testing.assert_frame_equal(a, b)
        assert list(a.columns) == list(COLUMNS)
        assert a.loc[1, "text"] == "오늘 정말 행복해요!\nnew line" and a.loc[1, "start"] == ""
    elif suffix == ".json":
        a, b = json.loads(ours.read_text(encoding="utf-8")), json.loads(theirs.read_text(encoding="utf-8"))
        assert a[PROVENANCE_KEY] == b[PROVENANCE_KEY] == info
        assert a["rows"][1]["start"] is None and a["rows"][0]["voice_happy"] is None
        for ra, rb in zip(a["rows"], b["rows"]):
            assert ra.keys() == rb.keys()
            for k in ra:
                if isinstance(ra[k], float):
                    assert rb[k] == pytest.approx(ra[k], rel=1e-9), k
                else:
                    assert ra[k] == rb[k], k
    else:
        pd.testing.assert_frame_equal(pd.read_parquet(ours), pd.read_parquet(theirs))


def test_one_file_cli_does_not_import_pandas(media, tmp_path):
    out = tmp_path / "r.csv"
    code = ("import runpy, sys\n"
            f"sys.argv = ['unlock-feeling', 'analyze', {str(media['text'])!r}, '-q', '-o', {str(out)!r}]\n"
            "try:\n    runpy.run_module('unlock_feeling.cli', run_name='__main__')\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "print('pandas' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "False", proc.stdout
    assert len(pd.read_csv(out)) == 3
