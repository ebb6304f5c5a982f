"""Screenshot an eval gallery (`--visualize N`'s index.html) in headless Chromium: the README's gallery.png.

    python tools/screenshot_gallery.py GALLERY/index.html docs/images/gallery.png [--entries 6] [--width 1400]

Opens the page from disk in the system Chromium through selenium (`/usr/bin/chromium` and
`/usr/bin/chromedriver`, or `--chromium` / `--chromedriver`), a window `--width` px wide, and crops the
screenshot from the top of the page to the bottom of the `--entries`th entry. The PNG is saved with an
adaptive palette of `--colors` colours (the gallery is flat colour and text), which keeps it small.
"""

from __future__ import annotations

import argparse
import os
import shutil

from PIL import Image

BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1")  # fmt: skip


def open_browser(chromium: str, chromedriver: str, width: int, height: int):
    """A headless Chromium driven by selenium, its window `width` x `height`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*BROWSER_FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(chromedriver))


def screenshot(index: str, out: str, entries: int, width: int, colors: int, chromium: str, chromedriver: str):
    """Write `out`: the gallery page down to its `entries`th entry; returns (entries shown, (w, h))."""
    # a tall window: the whole crop must be on screen, a screenshot only shows the viewport
    driver = open_browser(chromium, chromedriver, width, 4000)
    try:
        driver.get("file://" + os.path.abspath(index))
        bottoms = driver.execute_script(
            "return Array.from(document.querySelectorAll('div.entry'))"
            ".map(e => e.getBoundingClientRect().bottom + window.scrollY);"
        )
        if not bottoms:
            raise SystemExit(f"{index}: no gallery entries")
        shown = min(entries, len(bottoms))
        tmp = out + ".full.png"
        driver.save_screenshot(tmp)
    finally:
        driver.quit()
    with Image.open(tmp) as full:
        bottom = min(full.size[1], round(max(bottoms[:shown]) + 8))
        crop = full.convert("RGB").crop((0, 0, full.size[0], bottom))
    os.remove(tmp)
    crop.quantize(colors=colors).save(out, optimize=True)
    return shown, crop.size


def main(argv=None) -> None:
    """Parse the flags and write the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", help="the gallery's index.html")
    parser.add_argument("out", help="the PNG to write")
    parser.add_argument("--entries", type=int, default=6, help="crop below this many entries")
    parser.add_argument(
        "--width", type=int, default=1400, help="window width in px (3 entries of 414 px pictures a row)"
    )
    parser.add_argument("--colors", type=int, default=128, help="palette size of the saved PNG")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = parser.parse_args(argv)
    shown, (w, h) = screenshot(
        args.index, args.out, args.entries, args.width, args.colors, args.chromium, args.chromedriver
    )
    print(f"{args.out}: {shown} entries, {w}x{h} px, {os.path.getsize(args.out) // 1024} KB")


if __name__ == "__main__":
    main()
