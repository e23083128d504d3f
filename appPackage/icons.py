"""Draws the Teams app icons, color.png and outline.png, next to this file.

Run it again after changing the drawing: `.venv/bin/python appPackage/icons.py`.

The symbol is a speech bubble holding a small upward trend line: a morning word that lifts the
day. color.png is 192x192 on a full-bleed brand-green square (the playground's accent, #2f6f5e),
with the symbol inside the central 96x96 (48 pixels of padding, as Teams' icon guidance asks, so
the rounded and hexagonal crops never cut it). outline.png is 32x32, white on transparent only,
drawn edge to edge with no padding, as Teams asks of the outline icon.

Everything is drawn 8 times larger and scaled down by averaging, which smooths the edges without
spilling a single pixel outside the symbol's square.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
BRAND = (0x2F, 0x6F, 0x5E)
WHITE = (255, 255, 255)
COLOR_SIZE = 192
SYMBOL_SIZE = 96
OUTLINE_SIZE = 32
SCALE = 8

Point = tuple[float, float]

# The symbol in a unit square: the bubble's body (a rounded rectangle), its tail at the bottom
# left, and the trend line with its arrowhead inside the body.
BODY_BOTTOM = 0.76
BODY_RADIUS = 0.22
TAIL = ((0.46, BODY_BOTTOM), (0.16, 1.0), (0.24, BODY_BOTTOM))
TREND = ((0.2, 0.55), (0.4, 0.36), (0.55, 0.47), (0.79, 0.22))
ARROW = ((0.58, 0.21), (0.8, 0.21), (0.8, 0.43))


def _arc(centre: Point, radius: float, start: float, end: float) -> list[Point]:
    steps = 24
    return [
        (
            centre[0] + radius * math.cos(math.radians(start + (end - start) * i / steps)),
            centre[1] + radius * math.sin(math.radians(start + (end - start) * i / steps)),
        )
        for i in range(steps + 1)
    ]


def bubble() -> list[Point]:
    """The bubble's outline in the unit square, clockwise from the top left corner."""
    r, bottom = BODY_RADIUS, BODY_BOTTOM
    return [
        *_arc((r, r), r, 180, 270),
        *_arc((1 - r, r), r, 270, 360),
        *_arc((1 - r, bottom - r), r, 0, 90),
        *TAIL,
        *_arc((r, bottom - r), r, 90, 180),
    ]


def _place(points: tuple[Point, ...] | list[Point], origin: float, size: float) -> list[Point]:
    return [(origin + x * size, origin + y * size) for x, y in points]


def _stroke(draw: ImageDraw.ImageDraw, points: list[Point], width: float, close: bool) -> None:
    """A line through the points with round joins and round ends."""
    path = [*points, points[0], points[1]] if close else points
    draw.line(path, fill=255, width=round(width), joint="curve")
    if not close:
        radius = width / 2
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)


def _mask(size: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    mask = Image.new("L", (size * SCALE, size * SCALE), 0)
    return mask, ImageDraw.Draw(mask)


def draw_color() -> Image.Image:
    """The 192x192 colour icon: a white bubble with a green trend line on brand green."""
    origin = (COLOR_SIZE - SYMBOL_SIZE) / 2 * SCALE
    # Pillow fills the pixel a shape ends on too: one less keeps the symbol to 96 pixels.
    size = SYMBOL_SIZE * SCALE - 1
    body, draw_body = _mask(COLOR_SIZE)
    draw_body.polygon(_place(bubble(), origin, size), fill=255)
    line, draw_line = _mask(COLOR_SIZE)
    width = 0.085 * size
    _stroke(draw_line, _place(TREND, origin, size), width, close=False)
    _stroke(draw_line, _place(ARROW, origin, size), width, close=False)
    icon = Image.new("RGB", (COLOR_SIZE, COLOR_SIZE), BRAND)
    icon.paste(WHITE, mask=body.reduce(SCALE))
    icon.paste(BRAND, mask=line.reduce(SCALE))
    return icon


def draw_outline() -> Image.Image:
    """The 32x32 outline icon: the bubble's edge and the trend line, white on transparent."""
    stroke = 2.25 * SCALE
    # The stroke is centred on the outline: inset it by half a stroke to touch the edges.
    origin = stroke / 2
    size = OUTLINE_SIZE * SCALE - stroke
    mask, draw = _mask(OUTLINE_SIZE)
    _stroke(draw, _place(bubble(), origin, size), stroke, close=True)
    _stroke(draw, _place(TREND, origin, size), stroke, close=False)
    _stroke(draw, _place(ARROW, origin, size), stroke, close=False)
    icon = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (*WHITE, 0))
    icon.putalpha(mask.reduce(SCALE))
    return icon


def main() -> None:
    draw_color().save(HERE / "color.png", optimize=True)
    draw_outline().save(HERE / "outline.png", optimize=True)
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")


if __name__ == "__main__":
    main()
