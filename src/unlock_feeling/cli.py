"""Command line: `unlock-feeling analyze FILE -o out.csv` and `unlock-feeling models`."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console

from unlock_feeling.errors import ModelError, UserInputError
from unlock_feeling.config import Engine, ExpressionModel, Language
from unlock_feeling.datasets.base import SPLITS
from unlock_feeling.labels import LABELS
from unlock_feeling.progress import STAGE_BY_NAME

if TYPE_CHECKING:  # rich's progress bars and tables load only when something is shown
    from rich.progress import Progress, TaskID
    from rich.table import Table

class _Command(typer.core.TyperCommand):
    """Help in the usual notation: `FILE...` rather than `{paths}...`, and no `<bool>` next to flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper() + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
        return pieces


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Per-utterance emotion (happy, surprise, neutral, fear, disgust, angry, sad) "
                       "from what is said, how the face looks and how the voice sounds.")

def _fail(message: str, code: int, debug: bool) -> None:
    """One line on stderr and exit `code`; with --debug, re-raise the exception being handled."""
    if debug:
        raise  # noqa: PLE0704 - always called from inside an `except` block
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _span(start: float, end: float) -> str:
    if start is None or (isinstance(start, float) and math.isnan(start)):
        return ""
    return f"{start:.1f}–{end:.1f}"


def render_table(rows: "list[dict[str, Any]]") -> Table:
    """A compact terminal view of result rows (`UtteranceResult.row()`): time, language, text,
    emotion, confidence, runner-up emotions."""
    from rich.table import Table

    table = Table(header_style="bold", expand=False)
    with_speakers = any(str(r["speaker"]) for r in rows)
    table.add_column("time (s)", no_wrap=True)
    if with_speakers:
        table.add_column("who", no_wrap=True)
    table.add_column("lang", no_wrap=True)
    table.add_column("text", ratio=3, overflow="fold")
    table.add_column("emotion", no_wrap=True)
    table.add_column("%", justify="right", no_wrap=True)
    table.add_column("then", ratio=1)
    table.add_column("from", no_wrap=True)
    for r in rows:
        ranked = sorted(LABELS, key=lambda label: -r[label])
        others = ", ".join(f"{label} {r[label] * 100:.0f}" for label in ranked[1:3])
        cells = [_span(r["start"], r["end"])] + ([str(r["speaker"])] if with_speakers else [])
        table.add_row(*cells, r["language"], r["text"], f"[bold]{r['emotion']}[/]", f"{r['confidence'] * 100:.0f}",
                      others, r["modalities"])
    return table


@app.command(cls=_Command)
def analyze(
    paths: Annotated[list[str], typer.Argument(help="Video, audio, image or UTF-8 .txt files, folders or glob patterns.", show_default=False, metavar="FILE")],
    output_arg: Annotated[Optional[str], typer.Option("--output", "-o", help="Write the table: .csv, .json or .parquet; a folder (ending in /) gets one CSV per input.", show_default=False)] = None,
    html_report: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report.")] = None,
    language: Annotated[Language, typer.Option(help="Spoken/written language; auto = Korean or English per utterance.")] = "auto",
    window: Annotated[float, typer.Option(help="Window (s) for videos without speech.")] = 2.0,
    fps: Annotated[float, typer.Option(help="Frames per second sampled for the face.")] = 5.0,
    asr_model: Annotated[str, typer.Option(help="whisper-base (bundled), a CTranslate2 model directory, or a size name in the local cache.")] = "whisper-base",
    face_model: Annotated[ExpressionModel, typer.Option(help="Facial expression model.")] = "ensemble",
    beam_size: Annotated[int, typer.Option(min=1, help="ASR beam size (1 = greedy, a little faster).")] = 5,
    speakers: Annotated[bool, typer.Option("--speakers/--no-speakers", help="Speaker ids (S1, S2, ...) per utterance.")] = True,
    model: Annotated[Optional[Path], typer.Option(help="A fusion model trained with `unlock-feeling train`.")] = None,
    text_model: Annotated[Optional[Path], typer.Option(help="A text model trained with `unlock-feeling train-text` (default: the bundled one).")] = None,
    store: Annotated[Optional[Path], typer.Option(help="Feature store used as a cache (a second run recomputes nothing).")] = None,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads per model.")] = 2,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the table.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Analyse files: one row per sentence with fused and per-modality emotion probabilities."""
    from unlock_feeling.pipeline import AnalyzeOptions, Analyzer, expand_inputs
    from unlock_feeling.report.table import check_output_path, check_report_path

    err = Console(stderr=True)
    with _guard(debug):
        files = expand_inputs(paths)
        single = len(paths) == 1 and len(files) == 1 and Path(paths[0]) == files[0]
        output = Path(output_arg) if output_arg else None
        per_file_dir = output is not None and (str(output_arg).endswith(("/", os.sep)) or output.is_dir())
        if per_file_dir:
            assert output is not None
            if output.exists() and not output.is_dir():
                raise UserInputError(f"{output}: is not a folder")
        elif output is not None:
            check_output_path(output)
        if html_report is not None:
            if not single:
                raise UserInputError("--html takes a single input file")
            check_report_path(html_report)
        defaults = AnalyzeOptions()
        options = AnalyzeOptions(
            language=language, window=window, threads=threads, speakers=speakers, model=str(model) if model else None,
            store=str(store) if store else None, asr=replace(defaults.asr, model=asr_model, beam_size=beam_size),
            face=replace(defaults.face, fps=fps, expression=face_model),
            text=replace(defaults.text, model=str(text_model)) if text_model else defaults.text)
        analyzer = Analyzer(options)
        if single and not per_file_dir:
            _analyze_one(analyzer, files[0], output, html_report, quiet, err)
            return
        _analyze_many(analyzer, files, output, per_file_dir, quiet, err)


def _bar_hidden(err: Console, quiet: bool) -> bool:
    return quiet or not err.is_interactive


def _stage_bar(err: Console, quiet: bool) -> "Progress":
    """The per-stage progress bar of `analyze` (hidden when quiet or not on a terminal)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description:<16}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err, transient=True,
                    disable=_bar_hidden(err, quiet))


def _stage_progress(bar: Progress):  # type: ignore[no-untyped-def]
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            known = STAGE_BY_NAME.get(stage)
            tasks[stage] = bar.add_task(known.description if known else stage, total=max(total, 1))
        bar.update(tasks[stage], completed=done, total=max(total, 1), visible=True)

    def reset() -> None:
        for task in tasks.values():
            bar.update(task, visible=False)
        tasks.clear()

    return progress, reset


def _analyze_one(analyzer, path: Path, output: Optional[Path], html_report: Optional[Path], quiet: bool,  # type: ignore[no-untyped-def]
                 err: Console) -> None:
    from unlock_feeling.report.table import write_rows

    if _bar_hidden(err, quiet):  # no bar to draw: rich's progress module is not even imported
        results = list(analyzer.iter_utterances(path))
    else:
        with _stage_bar(err, quiet) as bar:
            results = list(analyzer.iter_utterances(path, _stage_progress(bar)[0]))
    info = analyzer.info([path.name])
    rows = [r.row() for r in results]
    if output is not None:
        write_rows(rows, info.to_dict(), output)
    if html_report is not None:
        from unlock_feeling.report.html import write_html
        from unlock_feeling.result import rows_frame

        write_html(rows_frame(rows, info.to_dict()), html_report, path)
    if not quiet:
        Console(width=max(Console().width, 110)).print(render_table(rows))
    if output is not None:
        err.print(f"wrote {len(rows)} rows to {output}", highlight=False)
    if html_report is not None:
        err.print(f"wrote the report to {html_report}", highlight=False)


def _analyze_many(analyzer, files: list[Path], output: Optional[Path], per_file_dir: bool, quiet: bool,  # type: ignore[no-untyped-def]
                  err: Console) -> None:
    """Several inputs, models loaded once: one table (the `source` column tells files apart) or one
    CSV per input in a folder. A failing input is reported on one line and skipped; exit 2 if any."""
    import pandas as pd

    from unlock_feeling.report.table import write_table

    tables, failed, written = [], 0, []
    out = Console()
    with _stage_bar(err, quiet) as bar:
        files_task = bar.add_task("files", total=len(files))
        progress, reset = _stage_progress(bar)
        for n, result in enumerate(analyzer.analyze_many(files, progress), start=1):
            reset()
            bar.update(files_task, completed=n)
            if result.table is None:
                failed += 1
                bar.console.print(f"{result.path}: {result.error}", highlight=False, soft_wrap=True, markup=False, style=None)
                continue
            df = result.table.assign(source=str(result.path))
            if per_file_dir:
                assert output is not None
                output.mkdir(parents=True, exist_ok=True)
                target, k = output / f"{result.path.stem}.csv", 1
                while target in written:  # two inputs with the same name
                    k += 1
                    target = output / f"{result.path.stem}-{k}.csv"
                write_table(df, target)
                written.append(target)
            else:
                tables.append(df)
            if not quiet:
                top = df["emotion"].value_counts()
                out.print(f"{result.path}: {len(df)} rows; " + ", ".join(f"{e} {c}" for e, c in top.items())
                          + f" ({result.seconds:.1f} s)", highlight=False, soft_wrap=True, markup=False)
    if output is not None and not per_file_dir and tables:
        write_table(pd.concat(tables, ignore_index=True), output)
        err.print(f"wrote {sum(len(t) for t in tables)} rows from {len(tables)} files to {output}", highlight=False, soft_wrap=True)
    elif per_file_dir and written:
        err.print(f"wrote {len(written)} files to {output}", highlight=False, soft_wrap=True)
    if failed:
        err.print(f"{failed} of {len(files)} inputs failed", highlight=False, soft_wrap=True)
        raise typer.Exit(2)


@app.command(cls=_Command)
def models(
    check: Annotated[bool, typer.Option("--check/--no-check", help="Verify each model's sha256.")] = True,
) -> None:
    """List every model used, with its source, licence, size and sha256 (nothing is downloaded)."""
    from unlock_feeling.models.registry import MODELS, check_model, model_path

    rows = []
    bad = 0
    for m in MODELS:
        try:
            path = model_path(m.name)
            target = path / "model.bin" if path.is_dir() else path
            size = f"{target.stat().st_size / 1e6:.1f} MB"
            if check:
                _, digest, ok = check_model(m.name)
                status = "[green]ok[/]" if ok else "[red]sha256 mismatch[/]"
                bad += not ok
            else:
                digest, status = m.sha256, "present"
        except ModelError as e:
            size, digest, status = "", m.sha256, f"[red]{e}[/]"
            bad += 1
        rows.append((m.name, m.task, m.license, size, digest[:16] + "…" if digest else "", status, m.source))
    console = Console()
    if console.width >= 140:
        from rich.table import Table

        table = Table(header_style="bold")
        for col in ("name", "task", "licence", "size", "sha256", "status"):
            table.add_column(col, no_wrap=col in ("name", "size", "sha256"))
        table.add_column("source", overflow="fold", ratio=1)
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:  # a narrow terminal: one short block per model instead of a table squeezed to nothing
        for name, task, licence, size, digest, status, source in rows:
            console.print(f"[bold]{name}[/]  {status}  {size}  {licence}", highlight=False)
            console.print(f"  {task}; sha256 {digest}", highlight=False, soft_wrap=False)
            console.print(f"  {source}", highlight=False, markup=False)
    if bad:
        raise typer.Exit(2)


@app.command(cls=_Command)
def report(
    result: Annotated[Path, typer.Argument(help="A result table written by analyze (.parquet, .csv, .json).", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The .html file to write.")],
    media: Annotated[Optional[Path], typer.Option(help="The analysed file, for thumbnails with face boxes.")] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Turn a saved result into a self-contained HTML report (timeline, strips, transcript)."""
    from unlock_feeling.report.html import read_table, write_html
    from unlock_feeling.report.table import check_report_path

    with _guard(debug):
        check_report_path(output)
        df = read_table(result)
        if media is None and "source" in df.columns and len(df):
            candidate = result.parent / str(df["source"].iloc[0])
            media = candidate if candidate.is_file() else None
        write_html(df, output, media)
        Console(stderr=True).print(f"wrote the report to {output}", highlight=False)


@app.command(cls=_Command)
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (127.0.0.1 = this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    data: Annotated[Path, typer.Option(help="Folder for uploads, results and the job database.")] = Path("unlock-feeling-data"),
    database: Annotated[str, typer.Option(help="Job database URL (sqlite:///PATH; default DATA/jobs.db).")] = "",
    workers: Annotated[int, typer.Option(min=1, help="Analyses run at the same time.")] = 1,
    max_queue: Annotated[int, typer.Option(min=1, help="Queued jobs before new uploads get HTTP 429.")] = 16,
    max_upload_mb: Annotated[int, typer.Option(min=1, help="Largest upload accepted (HTTP 413 above).")] = 500,
    token: Annotated[Optional[str], typer.Option(envvar="UNLOCK_FEELING_TOKEN", help="Require this bearer token.")] = None,
) -> None:
    """Run the HTTP service and web page (FastAPI + uvicorn); jobs survive restarts."""
    try:
        import uvicorn

        from unlock_feeling.service.app import ServiceConfig, create_app
    except ImportError:
        _fail("the service needs: pip install 'unlock-feeling[service]'", 2, False)
    app_ = create_app(ServiceConfig(data, database, workers, max_queue, max_upload_mb * 1024 * 1024, token))
    Console(stderr=True).print(f"unlock-feeling service on http://{host}:{port}/ (data in {data})", highlight=False)
    uvicorn.run(app_, host=host, port=port, log_level="warning")


def _require_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise UserInputError("training needs PyTorch: pip install torch==2.13.0 'unlock-feeling[train]'") from None


def _cli_message(e: Exception) -> str:
    """The message with the option's API name turned into the running command's flag for it
    (`beam_size must be …` → `--beam-size must be …`)."""
    message, parameter = str(e), getattr(e, "parameter", None)
    if parameter and message.startswith(parameter):
        flag = "--" + parameter.replace("_", "-")
        if flag in _flags():
            return flag + message[len(parameter):]
    return message


def _flags() -> set[str]:
    """Every long flag the commands declare (read from their typer.Option annotations; an option
    without declared names gets typer's default, `--name-with-dashes`)."""
    import typing

    from typer.models import OptionInfo

    flags: set[str] = set()
    for command in app.registered_commands:
        for name, hint in typing.get_type_hints(command.callback, include_extras=True).items():
            for info in getattr(hint, "__metadata__", ()):
                if isinstance(info, OptionInfo):
                    decls = [d for decl in info.param_decls or () for d in decl.split("/")] or ["--" + name.replace("_", "-")]
                    flags.update(d for d in decls if d.startswith("--"))
    return flags


def _guard(debug: bool):  # type: ignore[no-untyped-def]
    """Context: user errors → one line + exit 2; anything else → one line + exit 1."""
    from contextlib import contextmanager

    @contextmanager
    def guard():  # type: ignore[no-untyped-def]
        try:
            yield
        except (UserInputError, ModelError) as e:
            _fail(_cli_message(e), 2, debug)
        except KeyboardInterrupt:
            _fail("interrupted", 130, debug)
        except typer.Exit:
            raise
        except Exception as e:  # noqa: BLE001
            _fail(f"internal error: {type(e).__name__}: {e} (run with --debug for details)", 1, debug)

    return guard()


@app.command(cls=_Command)
def extract(
    root: Annotated[Path, typer.Argument(help="Dataset folder (or manifest file).", show_default=False)],
    format: Annotated[str, typer.Option("--format", "-f", help="aihub-speech, aihub-video, kemdy, meld or manifest.")],
    store: Annotated[Path, typer.Option(help="Feature store directory (created if missing).")],
    name: Annotated[Optional[str], typer.Option(help="Dataset name in the store (default: the format).")] = None,
    engine: Annotated[Engine, typer.Option(help="local process pool or Ray.")] = "local",
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (local) or CPUs (Ray).")] = 1,
    ray_address: Annotated[Optional[str], typer.Option(help="Address of a running Ray cluster.")] = None,
    fps: Annotated[float, typer.Option(help="Face frames per second for clips.")] = 5.0,
    chunk_size: Annotated[int, typer.Option(min=1, help="Samples per committed chunk.")] = 32,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Extract text, voice and face features of a labelled dataset into a feature store (resumable)."""
    from unlock_feeling.datasets import load_dataset
    from unlock_feeling.extract.dataset import ExtractConfig, extract_dataset
    from unlock_feeling.extract.registry import FaceFeatureConfig

    err = Console(stderr=True)
    with _guard(debug):
        samples, report = load_dataset(root, format)
        err.print(report.summary(), highlight=False)
        store.mkdir(parents=True, exist_ok=True)
        config = ExtractConfig(face=FaceFeatureConfig(fps=fps), chunk_size=chunk_size)
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        with Progress(TextColumn("extracting"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err,
                      transient=True) as bar:
            task = bar.add_task("extract", total=len(samples))
            summary = extract_dataset(samples, store, name or format, config, engine, workers, ray_address,
                                      lambda done, total: bar.update(task, completed=done, total=total))
        Console().print(summary.line(), highlight=False)


@app.command(cls=_Command)
def train(
    store: Annotated[Path, typer.Option(help="Feature store with extracted datasets.")],
    out: Annotated[Path, typer.Option(help="Output model directory.")],
    stages: Annotated[str, typer.Option(help="Comma-separated stages of '+'-joined modalities, or 'single'.")] = "text+voice,text+voice+face",
    datasets: Annotated[Optional[str], typer.Option(help="Comma-separated dataset names in the store (default all).")] = None,
    epochs: Annotated[int, typer.Option(min=1)] = 40,
    batch_size: Annotated[int, typer.Option(min=1)] = 256,
    lr: Annotated[float, typer.Option()] = 1e-3,
    seed: Annotated[int, typer.Option()] = 0,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Train the fusion model on stored features (two-stage by default, as the original)."""
    err = Console(stderr=True)
    with _guard(debug):
        _require_torch()
        from unlock_feeling.train.data import build_matrix
        from unlock_feeling.train.loop import TrainConfig, parse_stages, save_checkpoint
        from unlock_feeling.train.loop import train as run_training

        config = TrainConfig(stages=parse_stages(stages), epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
        matrix = build_matrix(store, datasets.split(",") if datasets else None)
        err.print(f"{len(matrix)} samples: " + ", ".join(f"{s} {int((matrix.splits == s).sum())}"
                                                        for s in SPLITS), highlight=False)
        from rich.progress import BarColumn, Progress, TextColumn

        with Progress(TextColumn("{task.description:<22}"), BarColumn(), TextColumn("epoch {task.completed}/{task.total}"),
                      TextColumn("val macro-F1 {task.fields[f1]:.3f}"), console=err, transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, epoch: int, total: int, f1: float) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(f"stage {stage}", total=total, f1=0.0)
                bar.update(tasks[stage], completed=epoch, f1=f1)

            net, result = run_training(matrix, config, progress)
        save_checkpoint(net, out, matrix, config, result)
        for st in result.stages:
            Console().print(f"stage {'+'.join(st.modalities)}: {st.train_samples} train / {st.val_samples} val, "
                            f"best epoch {st.best_epoch}, val accuracy {st.val_accuracy:.3f}, "
                            f"macro-F1 {st.val_macro_f1:.3f} ({st.seconds:.1f} s)", highlight=False)
        err.print(f"wrote {out}", highlight=False)


@app.command("train-text", cls=_Command)
def train_text(
    data: Annotated[list[Path], typer.Argument(help="Manifest CSV/JSONL files (text, label[, split, weight, shares]).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The text model file to write (.safetensors).")],
    store: Annotated[Path, typer.Option(help="Feature store for the frozen lower-layer states (reused by later runs).")] = Path("text-features"),
    epochs: Annotated[int, typer.Option(min=1, max=50)] = 5,
    runs: Annotated[int, typer.Option(min=1, max=8, help="Train this many times (different seeds) and average the weights: steadier, and slower to train by as much.")] = 1,
    soft_labels: Annotated[bool, typer.Option(help="Train towards the annotators' distribution (column shares, e.g. 'happy:0.6 surprise:0.4') where a row gives one, instead of its label alone.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Fine-tune the text-emotion model (e5's upper layers + head) on your labelled sentences."""
    err = Console(stderr=True)
    with _guard(debug):
        _require_torch()
        from unlock_feeling.train.text_model import TextTrainConfig, evaluate_text_model, load_text_items, train_text_model

        if out.suffix != ".safetensors":
            raise UserInputError(f"{out}: the text model is written as a .safetensors file")
        items = load_text_items(data)
        counts = {s: sum(it.split == s for it in items) for s in SPLITS}
        err.print(f"{len(items)} sentences: " + ", ".join(f"{s} {n}" for s, n in counts.items()), highlight=False)
        if not counts["train"] or not counts["val"]:
            raise UserInputError("need sentences in both the train and the val split (give a split column, "
                                 "or enough rows for an automatic split)")
        model, summary = train_text_model([it for it in items if it.split != "test"],
                                          TextTrainConfig(epochs=epochs, runs=runs, soft_labels=soft_labels), store, {},
                                          log=err.print)
        out.parent.mkdir(parents=True, exist_ok=True)
        model.save(out)
        Console().print(f"best epoch {', '.join(str(r.best_epoch) for r in summary.runs)}, "
                        f"val macro-F1 by source {summary.val_macro_f1}", highlight=False)
        test = [it for it in items if it.split == "test"]
        if test:
            m = evaluate_text_model(model, test)
            Console().print(f"test: {len(test)} sentences, accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}, "
                            f"weighted F1 {m['weighted_f1']:.3f}", highlight=False)
        err.print(f"wrote {out} (use it with: unlock-feeling analyze FILE --text-model {out})", highlight=False)


@app.command(cls=_Command)
def evaluate(
    model: Annotated[Path, typer.Argument(help="Trained model directory.", show_default=False)],
    store: Annotated[Path, typer.Option(help="Feature store with the evaluation samples.")],
    split: Annotated[str, typer.Option(help="train, val or test.")] = "test",
    datasets: Annotated[Optional[str], typer.Option(help="Comma-separated dataset names (default all).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Report folder (default MODEL/eval-SPLIT).")] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Accuracy, macro/weighted F1, UAR, per-class report and confusion matrices (CSV + PNG)."""
    with _guard(debug):
        from unlock_feeling.evaluate.metrics import evaluate as run_evaluation
        from unlock_feeling.fuse.model import FusionModel
        from unlock_feeling.train.data import build_matrix

        fusion = FusionModel.load(model)
        matrix = build_matrix(store, datasets.split(",") if datasets else None)
        target = out or model / f"eval-{split}"
        results = run_evaluation(fusion, matrix, split, target)
        from rich.table import Table

        table = Table(header_style="bold", title=f"{model} on {split}")
        for col in ("predictor", "samples", "accuracy", "macro-F1", "weighted-F1", "UAR"):
            table.add_column(col, justify="right" if col != "predictor" else "left")
        for r in results:
            table.add_row(r.name, str(r.samples), f"{r.accuracy:.3f}", f"{r.macro_f1:.3f}", f"{r.weighted_f1:.3f}",
                          f"{r.uar:.3f}")
        Console().print(table)
        Console(stderr=True).print(f"confusion matrices and metrics.json in {target}", highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
