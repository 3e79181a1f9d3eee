"""Self-contained HTML report: emotion timeline (fused, stacked), one strip per modality, summary
shares, and the transcript table with a thumbnail (face box drawn) per utterance.

One file, no network: plotly.js is inlined, thumbnails are embedded as data URIs, fonts fall back
to the system's Korean fonts.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from unlock_feeling.errors import UserInputError
from unlock_feeling.labels import KOREAN, LABELS, MODALITIES
from unlock_feeling.result import PROVENANCE_KEY, REPORT_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

COLORS = {"happy": "#f2b632", "surprise": "#f07f24", "neutral": "#9e9e9e", "fear": "#7b4fa0",
          "disgust": "#5a8f29", "angry": "#d62f2f", "sad": "#2f6fd6"}

_CSS = """
body{font-family:"Noto Sans KR","Nanum Gothic","NanumGothic","Malgun Gothic","Apple SD Gothic Neo",system-ui,sans-serif;
margin:0;color:#222;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:1.5rem;margin:0 0 4px} h2{font-size:1.15rem;margin:28px 0 8px}
.meta{color:#666;margin:0 0 16px}
.shares{display:flex;gap:8px;flex-wrap:wrap}
.share{padding:6px 10px;border-radius:6px;color:#fff;font-weight:600}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e5e5e5;padding:6px 8px;text-align:left;vertical-align:top;font-size:.92rem}
th{background:#f0f0f0;position:sticky;top:0}
td.num{text-align:right;white-space:nowrap}
.tag{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-weight:600;white-space:nowrap}
img.thumb{width:120px;border-radius:4px;display:block}
.card{background:#fff;border:1px solid #e5e5e5;border-radius:8px;padding:8px}
"""


def _times(df: "pd.DataFrame") -> tuple[np.ndarray, np.ndarray, str]:
    """(start, end, axis title): seconds, or line numbers for text input."""
    if df["start"].isna().all():
        idx = np.arange(len(df), dtype=float)
        return idx, idx + 1.0, "line"
    start = df["start"].to_numpy(float)
    end = df["end"].to_numpy(float)
    end = np.where(end > start, end, start + 0.5)
    return start, end, "time (s)"


def _figures(df: "pd.DataFrame") -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    start, end, axis = _times(df)
    present = [m for m in MODALITIES if df[[f"{m}_{label}" for label in LABELS]].notna().any().any()]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.06,
                        subplot_titles=("fused emotion probabilities", "per modality (colour = its top emotion)"))
    # each utterance is a flat step from start to end; gaps between utterances drop to zero
    xs: list[float] = []
    rows: list[int | None] = []
    for i in range(len(df)):
        if i and start[i] > end[i - 1] + 0.05:
            xs += [end[i - 1] + 1e-3, start[i] - 1e-3]
            rows += [None, None]
        xs += [start[i], end[i]]
        rows += [i, i]
    x = np.array(xs)
    for label in LABELS:
        values = df[label].to_numpy(float)
        y = np.array([values[r] if r is not None else 0.0 for r in rows])
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{label} {KOREAN[label]}", stackgroup="fused", mode="lines",
                                 line=dict(width=0.5, color=COLORS[label]), fillcolor=COLORS[label],
                                 hovertemplate=f"{label} %{{y:.0%}}<extra></extra>"), row=1, col=1)
    for m in present:
        cols = [f"{m}_{label}" for label in LABELS]
        for i, row in enumerate(df[cols].itertuples(index=False)):
            values = np.array(row, dtype=float)
            if np.isnan(values).all():
                continue
            top = LABELS[int(np.nanargmax(values))]
            fig.add_trace(go.Bar(x=[end[i] - start[i]], base=[start[i]], y=[m], orientation="h", showlegend=False,
                                 marker_color=COLORS[top], opacity=0.35 + 0.65 * float(np.nanmax(values)),
                                 hovertemplate=f"{m}: {top} {np.nanmax(values):.0%}<extra></extra>"), row=2, col=1)
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=1)
    fig.update_xaxes(title_text=axis, row=2, col=1)
    fig.update_layout(height=520, margin=dict(l=60, r=20, t=40, b=40), barmode="overlay",
                      legend=dict(orientation="h", y=1.12), plot_bgcolor="#fff", paper_bgcolor="#fff")
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id="timeline",
                       config={"displaylogo": False, "responsive": True})


def _recorded_boxes(df: "pd.DataFrame") -> list[tuple[float, tuple[float, ...]] | None]:
    """Per row, (face_time, face_box fractions) as recorded by analysis, or None."""
    if "face_time" not in df.columns or "face_box" not in df.columns:
        return [None] * len(df)
    out: list[tuple[float, tuple[float, ...]] | None] = []
    for t, box in zip(df["face_time"], df["face_box"]):
        parts = str(box).split() if isinstance(box, str) else []
        ok = len(parts) == 4 and t == t  # not NaN
        out.append((round(float(t), 3), tuple(float(p) for p in parts)) if ok else None)
    return out


def thumbnails(media: Path | None, df: "pd.DataFrame", width: int = 160) -> list[str | None]:
    """A JPEG data URI per row: the frame with the face that counted most, boxed (as recorded by
    analysis; tables without that record get the utterance's middle frame, detected again)."""
    if media is None or not Path(media).exists():
        return [None] * len(df)
    import io

    from PIL import Image, ImageDraw

    from unlock_feeling.extract.face_detect import FaceDetector
    from unlock_feeling.media.decode import iter_frames, load_image, probe

    try:
        info = probe(media)
    except UserInputError:
        return [None] * len(df)
    boxes = _recorded_boxes(df)
    if info.kind == "image":
        frames = {0.0: load_image(media)}
        times = [0.0] * len(df)
    elif info.kind == "video":  # the frame of the recorded face, else the utterance's middle
        times = [b[0] if b else round((s + e) / 2, 3) for s, e, b in zip(df["start"], df["end"], boxes)]
        frames = dict(iter_frames(media, sorted(set(times)), max_side=640))
    else:
        return [None] * len(df)
    detector: FaceDetector | None = None
    out: list[str | None] = []
    cache: dict[tuple[float, Any], str] = {}
    for t, recorded in zip(times, boxes):
        if t not in frames:
            out.append(None)
            continue
        key = (t, recorded[1] if recorded else None)
        if key not in cache:
            image = frames[t].copy()
            h, w = image.shape[:2]
            box: tuple[float, ...] | None
            if recorded:  # where analysis found the face that counted most: no second detection
                x0, y0, x1, y1 = recorded[1]
                box = (x0 * w, y0 * h, x1 * w, y1 * h)
            else:  # a table from an older version: detect again
                detector = detector or FaceDetector()
                faces = detector.detect(image)
                box = (faces[0].x0, faces[0].y0, faces[0].x1, faces[0].y1) if faces else None
            picture = Image.fromarray(image)
            if box is not None:
                ImageDraw.Draw(picture).rectangle([int(v) for v in box], outline=(40, 220, 80), width=max(2, w // 200))
            small = picture.resize((width, max(1, int(h * width / w))), Image.Resampling.BOX)
            jpg = io.BytesIO()
            small.save(jpg, "JPEG", quality=80)
            cache[key] = "data:image/jpeg;base64," + base64.b64encode(jpg.getvalue()).decode()
        out.append(cache[key] or None)
    return out


def _table(df: "pd.DataFrame", thumbs: list[str | None]) -> str:
    start, end, axis = _times(df)
    speakers = "speaker" in df.columns and bool((df["speaker"].fillna("").astype(str) != "").any())
    rows = []
    for i, r in enumerate(df.itertuples(index=False)):
        span = f"{i + 1}" if axis == "line" else f"{r.start:.1f}–{r.end:.1f}"
        thumb = f'<img class="thumb" alt="frame" src="{thumbs[i]}">' if thumbs[i] else ""
        per = " · ".join(
            f"{m} {LABELS[int(np.nanargmax(v))]} {np.nanmax(v):.0%}"
            for m in MODALITIES
            if not np.isnan(v := np.array([getattr(r, f"{m}_{label}") for label in LABELS], dtype=float)).all())
        rows.append(
            f"<tr><td>{thumb}</td><td class='num'>{span}</td>"
            + (f"<td>{html.escape(str(r.speaker or ''))}</td>" if speakers else "")
            + f"<td>{html.escape(str(r.language or ''))}</td>"
            f"<td>{html.escape(str(r.text or ''))}</td>"
            f"<td><span class='tag' style='background:{COLORS[r.emotion]}'>{r.emotion} {KOREAN[r.emotion]}</span></td>"
            f"<td class='num'>{r.confidence:.0%}</td><td>{html.escape(str(r.modalities))}</td>"
            f"<td>{html.escape(per)}</td></tr>")
    return ("<table id='utterances'><thead><tr><th></th><th>" + ("line" if axis == "line" else "time (s)") +
            "</th>" + ("<th>speaker</th>" if speakers else "") + "<th>lang</th><th>text</th><th>emotion</th><th>confidence</th><th>modalities</th>"
            "<th>per modality</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def render_html(df: "pd.DataFrame", media: Path | None = None, title: str | None = None) -> str:
    from plotly.offline import get_plotlyjs

    if df.empty:
        raise UserInputError("the result has no rows to report")
    missing = [c for c in REPORT_COLUMNS if c not in df.columns]
    if missing:
        raise UserInputError(f"not an unlock-feeling result table (missing columns: {', '.join(missing)})")
    optional = {f"{m}_{label}": np.nan for m in MODALITIES for label in LABELS} | {"language": "", "speaker": ""}
    df = df.assign(**{c: v for c, v in optional.items() if c not in df.columns})  # e.g. a hand-trimmed CSV
    source = title or str(df["source"].iloc[0]) if "source" in df.columns else (title or "result")
    start, end, axis = _times(df)
    weights = (end - start) if axis != "line" else np.ones(len(df))
    shares = {label: float((df[label].to_numpy(float) * weights).sum() / max(weights.sum(), 1e-9)) for label in LABELS}
    share_html = "".join(
        f"<span class='share' style='background:{COLORS[k]}'>{k} {KOREAN[k]} {v:.0%}</span>"
        for k, v in sorted(shares.items(), key=lambda kv: -kv[1]))
    duration = f"{end.max():.1f} s" if axis != "line" else f"{len(df)} lines"
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>unlock-feeling — {html.escape(source)}</title><style>{_CSS}</style>
<script>{get_plotlyjs()}</script></head>
<body><main>
<h1>{html.escape(source)}</h1>
<p class="meta">{len(df)} utterances · {duration} · made by unlock-feeling, works offline</p>
<section id="summary"><h2>Share of each emotion</h2><div class="shares">{share_html}</div></section>
<section><h2>Emotion over time</h2><div class="card">{_figures(df)}</div></section>
<section><h2>Transcript</h2>{_table(df, thumbnails(media, df))}</section>
{_footer(df)}
</main></body></html>
"""


def _footer(df: "pd.DataFrame") -> str:
    """What produced the table (package version, models and their sha256), when it says."""
    info = df.attrs.get(PROVENANCE_KEY) or {}
    if not info:
        return ""
    models = " · ".join(f"{html.escape(str(k))} <code>{html.escape(str(v)[:12])}</code>"
                        for k, v in sorted((info.get("models") or {}).items()))
    options = html.escape(json.dumps(info.get("options", {}), ensure_ascii=False, sort_keys=True))
    return (f"<footer class='meta' id='provenance'>unlock-feeling {html.escape(str(info.get('version', '')))}"
            f" · {html.escape(str(info.get('created', '')))}<br>models: {models}"
            f"<details><summary>options</summary><code>{options}</code></details></footer>")


def write_html(df: "pd.DataFrame", path: str | Path, media: Path | None = None) -> Path:
    from unlock_feeling.report.table import atomic_write, check_report_path

    p = check_report_path(path)
    text = render_html(df, media)

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    return atomic_write(p, write)


def read_table(path: str | Path) -> "pd.DataFrame":
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise UserInputError(f"{p}: no such file")
    try:
        if p.suffix.lower() == ".parquet":
            return pd.read_parquet(p)
        if p.suffix.lower() == ".json":
            raw = json.loads(p.read_text(encoding="utf-8"))
            if isinstance(raw, dict) and "rows" in raw:  # written by analyze: provenance header + rows
                df = pd.DataFrame(raw["rows"])
                df.attrs[PROVENANCE_KEY] = raw.get(PROVENANCE_KEY, {})
                return df
            return pd.DataFrame(raw)
        if p.suffix.lower() == ".csv":
            return pd.read_csv(p, keep_default_na=True).fillna({"text": "", "language": "", "speaker": ""})
    except Exception as e:  # noqa: BLE001
        raise UserInputError(f"{p}: cannot read the result table ({str(e).splitlines()[0][:150]})") from None
    raise UserInputError(f"{p}: expected a .csv, .json or .parquet result")
