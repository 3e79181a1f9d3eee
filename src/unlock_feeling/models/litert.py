"""Load a TFLite model with ai-edge-litert, without its C++ "XNNPACK delegate" banner on stderr."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextmanager
def _quiet_fd2() -> Iterator[None]:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_interpreter(path: Path, threads: int) -> Any:
    from ai_edge_litert.interpreter import Interpreter

    with _quiet_fd2():
        it = Interpreter(model_path=str(path), num_threads=threads)
        it.allocate_tensors()
        it.invoke()  # the delegate is applied on first use
    return it
