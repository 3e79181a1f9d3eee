"""Writing the result table (its columns: result.COLUMNS) atomically to CSV / JSON / Parquet. The
analysis provenance (`DataFrame.attrs`) goes into Parquet's metadata and the JSON file's header."""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unlock_feeling.errors import UserInputError
from unlock_feeling.result import COLUMNS, PROVENANCE_KEY, rows_frame

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pandas as pd

FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet"}


def check_report_path(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in (".html", ".htm"):
        raise UserInputError(f"{p}: the report must be an .html file")
    return _check_writable(p)


def check_output_path(path: str | Path) -> Path:
    """Fail before any work if the output cannot be written."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise UserInputError(f"{p}: unsupported output format {p.suffix!r} (use .csv, .json or .parquet)")
    return _check_writable(p)


def _check_writable(p: Path) -> Path:
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise UserInputError(f"{p}: is a directory")
    if not parent.is_dir():
        raise UserInputError(f"{p}: directory {parent} does not exist")
    if p.exists() and not os.access(p, os.W_OK):
        raise UserInputError(f"{p}: not writable")
    try:  # the only reliable test (root, read-only mounts, /proc): create and remove a file there
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{p.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UserInputError(f"{p}: not writable ({e.strerror or e})") from None
    return p


def _umask() -> int:
    """The process umask, read without changing it (os.umask would, for a moment, in every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def publish(tmp: str, dest: Path) -> None:
    """Give the finished temporary file normal permissions (as open() would) and rename it into place."""
    mode = dest.stat().st_mode & 0o777 if dest.exists() else 0o666 & ~_umask()
    os.chmod(tmp, mode)
    os.replace(tmp, dest)


def atomic_write(p: Path, write: "Callable[[str], None]") -> Path:
    """Call write(temporary path) in p's folder, then rename onto p: never a half-written file."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=p.parent if str(p.parent) else ".", prefix=f".{p.name}.", suffix=".tmp")
        os.close(fd)
        write(tmp)
        publish(tmp, p)
    except OSError as e:
        raise UserInputError(f"{p}: cannot write ({e.strerror or e})") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return p


def write_table(df: "pd.DataFrame", path: str | Path) -> Path:
    """Write a result DataFrame (its provenance from `df.attrs`)."""
    return _write(lambda: df.to_dict("records"), list(df.columns), df.attrs.get(PROVENANCE_KEY, {}), path,
                  lambda: df)


def write_rows(rows: "list[dict[str, Any]]", info: "dict[str, Any]", path: str | Path) -> Path:
    """Write result rows (`UtteranceResult.row()`, COLUMNS) with their provenance; CSV and JSON
    without pandas (it takes longer to import than a short input takes to analyse)."""
    return _write(lambda: rows, list(COLUMNS), info, path, lambda: rows_frame(rows, info))


def _write(rows: "Callable[[], Sequence[dict[str, Any]]]", columns: list[str], info: "dict[str, Any]",
           path: str | Path, frame: "Callable[[], pd.DataFrame]") -> Path:
    p = check_output_path(path)
    kind = FORMATS[p.suffix.lower()]

    def write(tmp: str) -> None:
        if kind == "csv":  # as pandas writes it: a header, missing values (NaN, None) as empty cells
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                out = csv.writer(f, lineterminator="\n")
                out.writerow(columns)
                out.writerows([_cell(r.get(c)) for c in columns] for r in rows())
        elif kind == "json":
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({PROVENANCE_KEY: info, "rows": [{c: _value(r.get(c)) for c in columns} for r in rows()]}, f,
                          ensure_ascii=False, indent=2)
        else:
            frame().to_parquet(tmp, index=False)

    return atomic_write(p, write)


def _value(v: Any) -> Any:
    """A JSON value: NaN as null, numpy scalars as Python numbers."""
    if hasattr(v, "item"):
        v = v.item()
    return None if isinstance(v, float) and math.isnan(v) else v


def _cell(v: Any) -> Any:
    v = _value(v)
    return "" if v is None else v
