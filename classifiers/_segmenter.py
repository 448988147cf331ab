"""rjieba's segmenter class, without the default segmenter its package builds on import.

``import rjieba`` builds a module-level ``Jieba`` (its whole dictionary, about 0.12 s) that the
classifier never uses: the topic tagger builds its own, with the lexicons' terms added. Half the
dictionary loads of a ``yuqing tag`` process were that unused one. ``jieba_class`` loads the package's
compiled module on its own (the layout of rjieba 0.2: ``rjieba/rjieba.*.so`` beside an ``__init__``
that re-exports ``Jieba``), registered under its own name so that a later ``import rjieba`` finds it
loaded. Anything unexpected (another layout, a module already imported, a loader error) falls back to
the public ``import rjieba``: the class is the same either way, only start-up differs.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rjieba import Jieba

_PACKAGE = "rjieba"
_MODULE = "rjieba.rjieba"


def _load_compiled() -> Any | None:
    """The compiled module, loaded without running the package's ``__init__``; None if not found."""
    spec = importlib.util.find_spec(_PACKAGE)  # a top-level spec: finds, does not import
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder) / f"rjieba{suffix}"
            if path.is_file():
                loader = importlib.machinery.ExtensionFileLoader(_MODULE, str(path))
                mod_spec = importlib.util.spec_from_file_location(_MODULE, path, loader=loader)
                if mod_spec is None:
                    return None
                module = importlib.util.module_from_spec(mod_spec)
                sys.modules[_MODULE] = module  # so that «from .rjieba import Jieba» reuses it
                try:
                    loader.exec_module(module)
                except BaseException:
                    del sys.modules[_MODULE]
                    raise
                return module
    return None


def jieba_class() -> type[Jieba]:
    """``rjieba.Jieba``, loaded without building the package's unused default segmenter when possible."""
    loaded = sys.modules.get(_MODULE) or sys.modules.get(_PACKAGE)
    if loaded is not None:
        cls: type[Jieba] = loaded.Jieba
        return cls
    try:
        module = _load_compiled()
    except (ImportError, OSError):
        module = None
    if module is None or not isinstance(getattr(module, "Jieba", None), type):
        import rjieba

        return rjieba.Jieba
    cls = module.Jieba
    return cls
