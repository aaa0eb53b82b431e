"""What certification needs to know about icon.png: format, size and background colour.

The background is read from the four corners (inset a little, past any anti-aliasing),
because the logo sits inside a coloured square and the corners are always background.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

RGB = tuple[int, int, int]

# Icons are tiny; anything bigger than this is not an icon and is not decoded (zip-bomb guard).
MAX_PIXELS = 2048 * 2048
CORNER_INSET = 3
OPAQUE = 250  # alpha at or above this counts as opaque
SAME_COLOUR = 24.0  # RGB distance under which two corners show the same background (compression noise)


@dataclass(frozen=True)
class IconFacts:
    format: str | None  # "PNG", "JPEG", ... or None when undecodable
    width: int
    height: int
    corners: tuple[tuple[int, int, int, int], ...]  # RGBA of the four corners
    error: str | None = None

    @property
    def transparent(self) -> bool:
        return any(alpha < OPAQUE for *_, alpha in self.corners)

    @property
    def background(self) -> RGB | None:
        """The colour most corners share (within a small tolerance), or None when they disagree."""
        if not self.corners:
            return None
        colours = [c[:3] for c in self.corners]
        for candidate in colours:
            if sum(1 for c in colours if color_distance(c, candidate) <= SAME_COLOUR) >= 3:
                return candidate
        return None


@lru_cache(maxsize=64)  # every icon rule asks; decode once
def inspect_icon(data: bytes) -> IconFacts:
    from PIL import Image, UnidentifiedImageError  # only when there is an icon to judge

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                too_large = f"{width}x{height} is far too large for an icon"
                return IconFacts(image.format, width, height, (), error=too_large)
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning) as error:
        return IconFacts(None, 0, 0, (), error=f"not a readable image ({type(error).__name__})")
    inset_x = min(CORNER_INSET, max(width - 1, 0))
    inset_y = min(CORNER_INSET, max(height - 1, 0))
    points = [
        (inset_x, inset_y),
        (width - 1 - inset_x, inset_y),
        (inset_x, height - 1 - inset_y),
        (width - 1 - inset_x, height - 1 - inset_y),
    ]
    corners = tuple(_rgba(rgba.getpixel(p)) for p in points)
    return IconFacts(image.format, width, height, corners)


def _rgba(pixel: object) -> tuple[int, int, int, int]:
    if isinstance(pixel, tuple) and len(pixel) == 4:
        r, g, b, a = (int(v) for v in pixel)
        return (r, g, b, a)
    raise ValueError(f"unexpected pixel {pixel!r}")


def parse_hex_color(value: str) -> RGB | None:
    match = re.fullmatch(r"#?([0-9A-Fa-f]{6})", value.strip())
    if not match:
        return None
    digits = match.group(1)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def hex_color(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def color_distance(a: RGB, b: RGB) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5)
