"""Screenshots of the sample report for the coordinators' guide (``docs/img/report-*.png``).

    python scripts/report_screenshots.py                 # needs Debian's chromium
    python scripts/report_screenshots.py --chromium /usr/bin/chromium --out docs/img

Matches the German sample of ``data/samples`` (its ``sample_config.toml``), writes the report,
and for each section a copy of it that shows only that section; headless Chromium takes a
1280-pixel-wide screenshot of each. Trailing white space is cropped and the PNG reduced to 256
colours, so the images stay small in git. Reruns on the same machine give the same pictures.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

from PIL import Image, ImageChops

ROOT: Final = Path(__file__).resolve().parents[1]
SAMPLES: Final = ROOT / "data" / "samples"
WIDTH: Final = 1280

# (file name, CSS selector of what stays visible, window height in pixels)
SHOTS: Final[tuple[tuple[str, str, int], ...]] = (
    ("report-kopf.png", "header, #next-steps", 1000),
    ("report-ueberblick.png", "#glance", 1500),
    ("report-vorschlaege.png", "#proposals", 900),
    ("report-ohne-vorschlag.png", "#unmatched", 1500),
    ("report-was-hilft.png", "#help", 1300),
)


def _only(selector: str) -> str:
    """CSS that hides every part of the report but ``selector`` (one section, or the header)."""
    if selector.startswith("#") and "," not in selector:
        hidden = f"header, #next-steps, footer, main > section:not({selector})"
    else:
        hidden = "main, footer"
    return f"<style>{hidden} {{ display: none !important; }}</style></head>"


def _crop(path: Path) -> None:
    """Cut the white space below the content and store the image with 256 colours."""
    image = Image.open(path).convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, background).getbbox()
    if box is not None:
        image = image.crop((0, 0, image.width, min(image.height, box[3] + 24)))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args(argv)

    import lotsen_match as lm
    from lotsen_match.report import write_report

    config = lm.MatchConfig.from_toml(SAMPLES / "sample_config.toml")
    result = lm.match(
        SAMPLES / "ehrenamt_lotsen.csv",
        SAMPLES / "anfragen.csv",
        SAMPLES / "zuordnungen.csv",
        config,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        report = write_report(result, Path(tmp) / "report.html")
        html = report.read_text(encoding="utf-8")
        for name, selector, height in SHOTS:
            page = Path(tmp) / f"{name}.html"
            page.write_text(html.replace("</head>", _only(selector), 1), encoding="utf-8")
            target = args.out / name
            subprocess.run(
                [
                    args.chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    "--no-first-run",
                    "--disable-background-networking",
                    f"--user-data-dir={Path(tmp) / 'profile'}",
                    f"--window-size={WIDTH},{height}",
                    f"--screenshot={target}",
                    page.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            _crop(target)
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
