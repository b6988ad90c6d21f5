"""Colour contrast (WCAG relative luminance): which text colour reads on a brand colour. Pure."""

from __future__ import annotations

__all__ = ["text_on"]


def _luminance(colour: str) -> float | None:
    """WCAG relative luminance of a ``#rgb``/``#rrggbb`` colour (alpha ignored); None for other forms."""
    digits = colour.strip().lstrip("#")
    if not colour.strip().startswith("#") or len(digits) not in (3, 4, 6, 8):
        return None
    if len(digits) in (3, 4):
        digits = "".join(ch * 2 for ch in digits)
    try:
        channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return None
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_on(background: object, dark: str = "#1d1d1f") -> str:
    """White, or ``dark`` when white on ``background`` falls below WCAG's 4.5:1 and ``dark`` reads better.

    A light brand colour (an orange accent, say) behind white banner text was hard to read. Colours other
    than hex (names, rgb()) keep white, as before.
    """
    bg = _luminance(str(background))
    dk = _luminance(dark)
    if bg is None or dk is None:
        return "#ffffff"
    on_white = 1.05 / (bg + 0.05)
    on_dark = (max(bg, dk) + 0.05) / (min(bg, dk) + 0.05)
    return dark if on_white < 4.5 and on_dark > on_white else "#ffffff"
