"""Screenshot a digest's HTML part with headless Chromium (docs/digest-demo.png, the rendering test).

    python -m yuqing.digest.screenshot OUT.png --html FILE [--width 1000] [--height 1600]

The page is opened from a file:// URL with networking features off; the digest has no remote
content, so nothing is fetched.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
DEFAULT_WIDTH = 1000
DEFAULT_HEIGHT = 1600
TIMEOUT_S = 90.0


class ScreenshotError(RuntimeError):
    """Chromium is missing or did not produce the PNG."""


def find_chromium() -> str | None:
    from yuqing.settings import Settings

    configured = Settings.of().CHROMIUM
    if configured:
        return configured if Path(configured).is_file() else None
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(
    html_path: Path,
    png_path: Path,
    *,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    chromium: str | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Path:
    """Render ``html_path`` to ``png_path`` (width x height) and return the PNG path."""
    binary = chromium or find_chromium()
    if binary is None:
        raise ScreenshotError(
            f"chromium not found at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)"
        )
    html_path = html_path.resolve()
    png_path = png_path.resolve()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yuqing-chromium-") as profile:
        command = [
            binary,
            "--headless",
            "--no-sandbox",  # containers and CI run as root without user namespaces
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png_path}",
            f"--window-size={width},{height}",
            html_path.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as e:
            raise ScreenshotError(f"chromium did not finish within {timeout_s:g} s") from e
    if not png_path.is_file() or png_path.stat().st_size == 0:
        tail = done.stderr.decode("utf-8", "replace")[-800:]
        raise ScreenshotError(f"chromium exited {done.returncode} without writing {png_path}: {tail}")
    return png_path


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m yuqing.digest.screenshot",
        description="Screenshot a digest HTML file with headless Chromium.",
    )
    p.add_argument("out", type=Path, help="PNG to write")
    p.add_argument(
        "--html", type=Path, required=True, help="the digest's .html preview (yuqing digest --out)"
    )
    p.add_argument("--width", type=int, default=DEFAULT_WIDTH)
    p.add_argument("--height", type=int, default=DEFAULT_HEIGHT)
    args = p.parse_args(argv)
    try:
        path = screenshot(args.html, args.out, width=args.width, height=args.height)
    except ScreenshotError as e:
        print(f"screenshot: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
