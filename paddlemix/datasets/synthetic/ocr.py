"""OCR samples: a short line of text (words, numbers, and CJK where a CJK font exists) drawn on an image.

Perception-R1 trains and evaluates OCR on PageOCR pages; a tiny smoke model needs lines, not pages. Text is
black or dark on a light background, one line, left-aligned with a small random margin. The Latin font is
DejaVu Sans when the system has it, else Pillow's built-in scalable font. CJK lines are drawn only when a
CJK font is found (`cjk_font()`: $PADDLEMIX_CJK_FONT, then common Noto / WenQuanYi / Droid paths); without
one, every line is Latin and digits, so the output depends on the machine's fonts as well as the seed.

Files (`write_ocr_layout`): `OCR/ocr_train.json` in Perception-R1's format (`image` and
`conversations[1].value`, the ground truth), the same records as plain `OCR/ocr_train.jsonl` (`image`,
`text`), `OCR/eval/en_page_ocr.json` (and `cn_page_ocr.json` with a CJK font), images under `OCR/images/`.
"""

from __future__ import annotations

import json
import os
import random
from functools import cache

from PIL import Image, ImageDraw, ImageFont

WORDS = (
    "apple river seven stone light paper green house table north quick market silver window "
    "garden yellow simple orange planet winter summer coffee letter number bridge forest"
).split()
CJK_WORDS = ("你好", "世界", "数据", "模型", "图像", "文字", "学习", "北京", "上海", "天气", "时间", "中文")
CJK_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)
OCR_PROMPT = "<image>\nOCR this image: "  # Perception-R1's OCR eval prompt, as its json files store it
FONT_SIZE = 16


@cache
def latin_font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont:
    """DejaVu Sans at `size`, else Pillow's built-in scalable font."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


@cache
def cjk_font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont | None:
    """A font that draws CJK ideographs, or None when this machine has none."""
    paths = [os.environ.get("PADDLEMIX_CJK_FONT", ""), *CJK_FONT_PATHS]
    for path in paths:
        if path and os.path.isfile(path):
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return None


def random_line(rng: random.Random, cjk: bool = False) -> str:
    """A short line: 1-3 words and maybe a number, or 2-4 CJK words when `cjk`."""
    if cjk:
        return "".join(rng.choice(CJK_WORDS) for _ in range(rng.randint(2, 4)))
    words = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words) + 1), str(rng.randint(0, 9999)))
    if rng.random() < 0.3:
        words[0] = words[0].capitalize()
    return " ".join(words)


def draw_ocr_line(rng: random.Random, cjk: bool = False) -> tuple[Image.Image, str]:
    """An image of one line of text and that text; `cjk` needs `cjk_font()` (else ValueError)."""
    font = cjk_font() if cjk else latin_font()
    if font is None:
        raise ValueError("no CJK font on this machine: set PADDLEMIX_CJK_FONT to a .ttf/.ttc that has one")
    text = random_line(rng, cjk)
    left, top, right, bottom = font.getbbox(text)
    margin_x, margin_y = rng.randint(2, 8), rng.randint(2, 6)
    width, height = right - left + 2 * margin_x, bottom - top + 2 * margin_y
    background = tuple(rng.randint(215, 255) for _ in range(3))
    ink = tuple(rng.randint(0, 60) for _ in range(3))
    # at least 32 px a side: the smallest image Qwen3-VL's 16-px patches with 2x2 merging take (Qwen2-VL: 28)
    img = Image.new("RGB", (max(width, 32), max(height, 32)), background)
    ImageDraw.Draw(img).text((margin_x - left, margin_y - top), text, font=font, fill=ink)
    return img, text


def draw_char_row(
    rng: random.Random, alphabet: str = "ABCDEF", min_chars: int = 2, max_chars: int = 4
) -> tuple[Image.Image, str]:
    """A row of 2-4 large letters of a small alphabet, one to a slot of random width (the CPU quickstart's OCR).

    Slots are 30-36 px wide and the row 36-42 px high, so the image is never a multiple of the 28-px merged
    vision token and the processor resizes it.
    """
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(min_chars, max_chars)))
    slot, height = rng.randint(30, 36), rng.randint(36, 42)
    font = latin_font(26)
    img = Image.new("RGB", (slot * len(text) + 6, height), (245, 245, 240))
    draw = ImageDraw.Draw(img)
    for i, char in enumerate(text):
        left, top, right, bottom = font.getbbox(char)
        x = 3 + i * slot + (slot - (right - left)) // 2 - left
        y = (height - (bottom - top)) // 2 - top
        draw.text((x, y), char, font=font, fill=(20, 20, 20))
    return img, text


def ocr_record(image: str, text: str) -> dict:
    """One record in Perception-R1's OCR json format."""
    return {
        "image": image,
        "conversations": [{"from": "human", "value": OCR_PROMPT}, {"from": "gpt", "value": text}],
    }


def write_ocr_layout(out: str, n: int = 64, n_eval: int = 16, seed: int = 0, layout: str = "hub") -> str:
    """OCR/ with n training lines (Perception-R1 json + plain jsonl) and n_eval per eval split; returns OCR/.

    `layout` is accepted for the CLI's sake; OCR data are json files, not dataset directories.
    """
    root = os.path.join(out, "OCR")
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    os.makedirs(os.path.join(root, "eval"), exist_ok=True)
    has_cjk = cjk_font() is not None
    splits = [("train", n, False), ("en_page_ocr", n_eval, False)]
    if has_cjk:
        splits.append(("cn_page_ocr", n_eval, True))
    for split, count, cjk in splits:
        records = []
        for i in range(count):
            rng = random.Random(f"{seed}/ocr/{split}/{i}")
            line_cjk = cjk or (split == "train" and has_cjk and rng.random() < 0.3)
            img, text = draw_ocr_line(rng, cjk=line_cjk)
            relative = f"images/{split}_{i:06d}.png"
            img.save(os.path.join(root, relative))
            records.append((relative, text))
        if split == "train":
            _write_json(os.path.join(root, "ocr_train.json"), [ocr_record(p, t) for p, t in records])
            with open(os.path.join(root, "ocr_train.jsonl"), "w", encoding="utf-8") as f:
                for p, t in records:
                    f.write(json.dumps({"image": p, "text": t}, ensure_ascii=False) + "\n")
        else:
            _write_json(os.path.join(root, "eval", f"{split}.json"), [ocr_record(p, t) for p, t in records])
    return root


def _write_json(path: str, records: list[dict]) -> None:
    """A json list, UTF-8, indented like Perception-R1's files."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(records, f, ensure_ascii=False, indent=1)
