"""Draw the app's icons into frontend/static/icons/ (run once; the PNGs are committed).

    .venv/bin/python tools/make_icons.py

A white "R" on the top bar's blue; the shortcuts get a white "!" on the emergency red (Akutt) and a
person on the blue (Kontakter). Drawn four times too large and scaled down, for smooth edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "frontend" / "static" / "icons"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
BLUE = (11, 61, 92, 255)  # --accent in app.css
RED = (164, 22, 26, 255)  # --urgent
WHITE = (255, 255, 255, 255)
SCALE = 4


def _letter(draw: ImageDraw.ImageDraw, size: int, text: str, height: float) -> None:
    """Draw text in white, its ink box `height` of the canvas tall, centred on the canvas."""
    font = ImageFont.truetype(str(FONT), int(size * height * 1.35))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (size - (right - left)) / 2 - left
    y = (size - (bottom - top)) / 2 - top
    draw.text((x, y), text, font=font, fill=WHITE)


def _person(draw: ImageDraw.ImageDraw, size: int) -> None:
    """Draw a simple person: a head and shoulders, centred."""
    head = size * 0.15
    cx, cy = size / 2, size * 0.38
    draw.ellipse((cx - head, cy - head, cx + head, cy + head), fill=WHITE)
    shoulders = size * 0.27
    top = size * 0.58
    draw.chord((cx - shoulders, top, cx + shoulders, top + shoulders * 1.6), 180, 360, fill=WHITE)


def _canvas(size: int, colour, shape: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if shape == "square":  # full bleed: maskable icons and iOS (which rounds the corners itself)
        draw.rectangle((0, 0, big, big), fill=colour)
    elif shape == "rounded":
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * 0.18), fill=colour)
    else:
        draw.ellipse((0, 0, big - 1, big - 1), fill=colour)
    return image, draw


def _save(image: Image.Image, size: int, name: str, opaque: bool) -> None:
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    if opaque:
        small = small.convert("RGB").quantize(colors=32, method=Image.Quantize.MEDIANCUT)
    else:
        small = small.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    small.save(OUT / name, optimize=True)
    print(f"{name}: {size}x{size}, {(OUT / name).stat().st_size} bytes")


def app_icon(size: int, name: str, shape: str, letter_height: float) -> None:
    """The app's icon: a white R on blue."""
    image, draw = _canvas(size, BLUE, shape)
    _letter(draw, size * SCALE, "R", letter_height)
    _save(image, size, name, opaque=shape == "square")


def main() -> None:
    """Draw every icon the manifest and base.html name."""
    OUT.mkdir(parents=True, exist_ok=True)
    app_icon(192, "icon-192.png", "rounded", 0.52)
    app_icon(512, "icon-512.png", "rounded", 0.52)
    # Maskable: the launcher may cut it to a circle of 80 % of the width, so the R stays well inside.
    app_icon(512, "icon-maskable-512.png", "square", 0.40)
    app_icon(180, "apple-touch-icon.png", "square", 0.50)
    app_icon(32, "favicon-32.png", "rounded", 0.62)

    image, draw = _canvas(96, RED, "circle")
    _letter(draw, 96 * SCALE, "!", 0.55)
    _save(image, 96, "shortcut-akutt-96.png", opaque=False)

    image, draw = _canvas(96, BLUE, "circle")
    _person(draw, 96 * SCALE)
    _save(image, 96, "shortcut-kontakter-96.png", opaque=False)


if __name__ == "__main__":
    main()
