"""The segmenter adapter: rjieba's class without the package's unused default segmenter, or the public path.

Each case runs in a fresh interpreter: what the adapter does depends on what the process has imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, timeout=60
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_the_class_loads_without_the_package_default_and_a_later_import_reuses_it() -> None:
    got = _run(
        "import json, sys\n"
        "from classifiers._segmenter import jieba_class\n"
        "cls = jieba_class()\n"
        "package_ran = 'rjieba' in sys.modules\n"
        "tokens = cls().cut('我们在北京天安门')\n"
        "import rjieba\n"
        "print(json.dumps({'package_ran': package_ran, 'same': rjieba.Jieba is cls, 'tokens': tokens,\n"
        "                  'public': rjieba.cut('我们在北京天安门')}))\n"
    )
    assert got["package_ran"] is False
    assert got["same"] is True
    assert got["tokens"] == got["public"] == ["我们", "在", "北京", "天安门"]


def test_an_imported_package_is_used_as_it_is() -> None:
    got = _run(
        "import json, rjieba\n"
        "from classifiers._segmenter import jieba_class\n"
        "print(json.dumps({'same': jieba_class() is rjieba.Jieba}))\n"
    )
    assert got["same"] is True


def test_an_unexpected_layout_falls_back_to_the_public_import() -> None:
    # No compiled module where rjieba 0.2 keeps it: the adapter imports the package as anyone would.
    got = _run(
        "import json, sys, importlib.machinery\n"
        "importlib.machinery.EXTENSION_SUFFIXES[:] = ['.not-a-suffix']\n"
        "from classifiers._segmenter import jieba_class\n"
        "cls = jieba_class()\n"
        "print(json.dumps({'package_ran': 'rjieba' in sys.modules, 'tokens': cls().cut('我们在北京')}))\n"
    )
    assert got["package_ran"] is True
    assert got["tokens"] == ["我们", "在", "北京"]
