"""Region codes (GB/T 2260) as levels: 2 digits = province, 4 = city, 6 = county."""

from __future__ import annotations


def trimmed(code: str | None) -> str:
    """'420000' -> '42', '420300' -> '4203', '420303' -> '420303'; None/'' -> '' (unknown)."""
    if not code:
        return ""
    code = code.strip()[:6]
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def compatible(a: str | None, b: str | None) -> bool:
    """Same place, one contains the other, or either is unknown."""
    ta, tb = trimmed(a), trimmed(b)
    return not ta or not tb or ta.startswith(tb) or tb.startswith(ta)


def covers(outer: str | None, inner: str | None) -> bool:
    """``outer`` is the same place as ``inner`` or a higher level containing it (unknown passes)."""
    to, ti = trimmed(outer), trimmed(inner)
    return not to or not ti or ti.startswith(to)


def as_int(code: str | None) -> tuple[int, int]:
    """(6-digit code as int, level in digits 0/2/4/6) for vectorised comparisons."""
    t = trimmed(code)
    if not t or not t.isdigit():
        return 0, 0
    return int(t.ljust(6, "0")), len(t)
