"""Fetch the labelled text corpora at pinned commits, check their sha256, and write them as
unlock-feeling manifests (CSV: text, label, split, weight, speaker, dialogue, dataset).

    python tools/fetch_text_corpora.py --out data/text                    # downloads (GitHub raw)
    python tools/fetch_text_corpora.py --out data/text --mirror DIR       # from local git mirrors
                                                                          # DIR/<owner>+<name>/repo

Nothing here is committed: this script is the record of what the text model is trained on.
Licences and mappings: docs/datasets.md. The label tables are `unlock_feeling.datasets.text`.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from unlock_feeling.datasets.text import (  # noqa: E402
    TextItem, goemotions_items, kote_items, meld_items, own_items, write_manifest, xed_items,
)


@dataclass(frozen=True)
class Remote:
    repo: str
    commit: str
    path: str
    sha256: str


GOEMOTIONS = "monologg/GoEmotions-pytorch", "b75f9d3a8b76bc1060687925b04ca98a1b8ea66b"
# data/original/*.tsv there are verbatim copies of google-research/google-research goemotions/data
# (same bytes as the original test.tsv; CC BY 4.0).
KOTE = "searle-j/KOTE", "cafd2c3f54a6f4b25ac74eaa02a2e76c3ef8c977"
MELD = "declare-lab/MELD", "2d2011b409d3ca2d7e94460cd007d434b1d0a102"
XED = "Helsinki-NLP/XED", "76666d251f147cf518071bef4f8415dab6b96115"

FILES = {
    "goemotions/train.tsv": Remote(*GOEMOTIONS, "data/original/train.tsv",
                                   "1c254a142be5c00e80d819b9ae1bbd36d94b2eeb8f4b1271846508d57e57d9c5"),
    "goemotions/dev.tsv": Remote(*GOEMOTIONS, "data/original/dev.tsv",
                                 "575489c079c9de1097062a01738f998590d6b7ead66dd1c9fd1d2ba01fd8bc62"),
    "goemotions/test.tsv": Remote(*GOEMOTIONS, "data/original/test.tsv",
                                  "0587b2dd8b27b97352adbfc3fb083d46005c8946657fdc2b1ca8b1cc7f1f8be4"),
    "kote/val.tsv": Remote(*KOTE, "val.tsv", "c7d686ee1d63be7f57ec939f372ebdc4ada8eac1c9eeeeac207774976ab69a6e"),
    "kote/test.tsv": Remote(*KOTE, "test.tsv", "8d8e11c5adf374f552cfbe6f2d7b9967e7335cc86c205beeefb6fd8c6ed9deb0"),
    "meld/train.csv": Remote(*MELD, "data/MELD/train_sent_emo.csv",
                             "d2fa2d6529cf03cac2989efec05c9b27d8fd2f4c8fc5974c7ae88aa537fa02db"),
    "meld/dev.csv": Remote(*MELD, "data/MELD/dev_sent_emo.csv",
                           "2e89c6f8aa182d6f62f8c6331aece905ac7273ca4999660bfb5213e1d0370c1c"),
    "meld/test.csv": Remote(*MELD, "data/MELD/test_sent_emo.csv",
                            "8d37103938f7067600839fe29d5a114a6cd1bcdafb75bec101e06464c5006888"),
    "xed/en-annotated.tsv": Remote(*XED, "AnnotatedData/en-annotated.tsv", "26ac0254fbdb8b09cf2b00d44041d9084ece31bd200ae7c0e0662fbd8b037d98"),
    "xed/neu_en.txt": Remote(*XED, "AnnotatedData/neu_en.txt", "6e8b38af83b80fb64ec1139007973b1f09ec16d48549e82de22423cdba259f08"),
}


def fetch(remote: Remote, mirror: Path | None) -> bytes:
    if mirror is not None:
        git_dir = mirror / remote.repo.replace("/", "+") / "repo"
        data = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{remote.commit}:{remote.path}"],
                              check=True, capture_output=True).stdout
    else:
        url = f"https://raw.githubusercontent.com/{remote.repo}/{remote.commit}/{remote.path}"
        with urllib.request.urlopen(url, timeout=60) as r:  # noqa: S310 (pinned https URL)
            data = r.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != remote.sha256:
        raise SystemExit(f"{remote.repo}@{remote.commit[:8]}:{remote.path}: sha256 {actual} != {remote.sha256}")
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "data/text")
    ap.add_argument("--mirror", type=Path, help="folder of git mirrors (<owner>+<name>/repo) instead of downloading")
    args = ap.parse_args()
    raw = args.out / "raw"
    for name, remote in FILES.items():
        target = raw / name
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == remote.sha256:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fetch(remote, args.mirror))
        print(f"fetched {name} ({target.stat().st_size:,} bytes, sha256 ok)")
    items: dict[str, list[TextItem]] = {
        "goemotions": goemotions_items(raw / "goemotions"),
        "kote": kote_items(raw / "kote"),
        # Training items whose tags point to several classes, with their shares (soft labels):
        # not read by the default recipe (tools/train_text_model.py --soft-labels --corpora ...).
        "goemotions_mixed": goemotions_items(raw / "goemotions", mixed=True),
        "kote_mixed": kote_items(raw / "kote", mixed=True),
        "meld": meld_items(raw / "meld"),
        "xed": xed_items(raw / "xed"),
        "own": own_items(ROOT / "corpus"),
    }
    for name, rows in items.items():
        path = args.out / f"{name}.csv"
        write_manifest(rows, path)
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            counts.setdefault(r.split, {}).setdefault(r.label, 0)
            counts[r.split][r.label] += 1
        print(f"{path}: {len(rows)} items; " + "; ".join(
            f"{split} " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) for split, c in sorted(counts.items())))


if __name__ == "__main__":
    main()
