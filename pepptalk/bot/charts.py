"""Charts drawn into pictures before a message goes out: the habits describe a chart (the
digest's mood trend: each week's average, its range from the lowest to the highest day, this
week picked out), and the runtime draws it, about 800x400 so it reads on a phone.

Drawn on a Figure of its own with the Agg canvas (no pyplot and its global state) in a worker
thread, never on the event loop. A chart that cannot be drawn becomes its words: the rest of the
message goes out all the same.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import replace

from pepptalk.core.messages import Block, Chart, Message, Note, Picture, Reply

log = logging.getLogger(__name__)

WIDTH, HEIGHT, DPI = 8.0, 4.0, 100
INK, QUIET, NOW, RANGE = "#1f2933", "#7b8794", "#2f6f5e", "#c9d6d1"
# Fewer colours make a far smaller PNG (a chart has few anyway): it travels inside Teams cards.
PALETTE = 48


def draw(chart: Chart) -> bytes:
    """The chart as PNG bytes; the last point is picked out."""
    # Imported here: only the digest draws, and matplotlib takes a while to load.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    weeks = chart.points
    xs = list(range(len(weeks)))
    for x, week in zip(xs, weeks, strict=True):
        if week.low is not None and week.high is not None:
            ax.vlines(x, week.low, week.high, color=RANGE, linewidth=10, zorder=1)
    # A week nobody answered is a gap the line steps over, not a zero.
    known = [(x, w.value) for x, w in zip(xs, weeks, strict=True) if w.value is not None]
    ax.plot(
        [x for x, _ in known],
        [average for _, average in known],
        color=QUIET,
        marker="o",
        linewidth=2,
        zorder=2,
    )
    last = weeks[-1]
    if last.value is not None:
        ax.plot([xs[-1]], [last.value], marker="o", markersize=11, color=NOW, zorder=3)
        ax.annotate(
            chart.last_value or f"{last.value:.1f}",
            (xs[-1], last.value),
            xytext=(0, 12),
            textcoords="offset points",
            ha="center",
            fontsize=12,
            fontweight="bold",
            color=NOW,
        )
    ax.set_ylim(0.8, 5.4)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_xticks(xs, [w.label for w in weeks], fontsize=10, color=INK)
    ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.set_ylabel(chart.axis, fontsize=10, color=INK)
    ax.set_title(chart.title, fontsize=13, color=INK, loc="left")
    ax.grid(axis="y", color="#e4e7eb", linewidth=1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    figure.tight_layout()
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png")
    drawn.seek(0)
    small = io.BytesIO()
    with Image.open(drawn) as image:
        image.convert("RGB").quantize(colors=PALETTE).save(small, format="PNG", optimize=True)
    return small.getvalue()


async def _picture(chart: Chart) -> Block:
    try:
        return Picture(png=await asyncio.to_thread(draw, chart), alt=chart.alt, title=chart.title)
    except Exception:  # noqa: BLE001 - a chart is worth a log line, never the message it is in
        log.exception("could not draw a chart (%s)", chart.title)
        return Note(chart.unavailable)


async def drawn(message: Message) -> Message:
    """The message with each chart drawn into a picture (the same message when it has none)."""
    if not any(isinstance(block, Chart) for block in message.blocks):
        return message
    blocks = [await _picture(b) if isinstance(b, Chart) else b for b in message.blocks]
    return replace(message, blocks=tuple(blocks))


async def drawn_reply(reply: Reply) -> Reply:
    """A reply with its message's charts drawn."""
    if reply.message is None:
        return reply
    return replace(reply, message=await drawn(reply.message))
