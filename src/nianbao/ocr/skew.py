"""Straightening a scanned page: a sheet fed a little askew tilts every rule and line.

The tilt is the angle at which the page's ink falls into the sharpest rows:
the row profile of the image (ink per row) is most uneven when text lines
and table rules run exactly horizontal. Angles are tried on a reduced copy,
coarse then fine; the full image is then rotated back.
"""
from __future__ import annotations

import numpy as np

_MAX_ANGLE = 4.0          # degrees; a page tilted more is not a feeding slip
_MIN_ANGLE = 0.2          # below this rules still lie in thin bands; rotating would only blur the type
_WORK_WIDTH = 900         # pixels of the reduced copy the angle is searched on


def _sharpness(ink, angle: float) -> float:
    from PIL import Image

    rotated = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0))
    rows = rotated.sum(axis=1, dtype=np.int64)
    return float(np.square(np.diff(rows)).sum())


def skew_angle(gray: np.ndarray) -> float:
    """The angle (degrees, counter-clockwise as PIL rotates) that makes the page's rows horizontal."""
    from PIL import Image

    h, w = gray.shape
    factor = max(1, w // _WORK_WIDTH)
    small = gray[::factor, ::factor] < 160
    if small.sum() < 200:
        return 0.0
    ink = Image.fromarray((small * 255).astype(np.uint8))
    best = 0.0
    for step, span in ((0.5, _MAX_ANGLE), (0.1, 0.5), (0.02, 0.1)):
        angles = np.arange(best - span, best + span + step / 2, step)
        best = float(max(angles, key=lambda a: _sharpness(ink, float(a))))
    return best


def straighten(gray: np.ndarray) -> np.ndarray:
    """The page rotated so that its lines run horizontal (unchanged when it is straight)."""
    from PIL import Image

    angle = skew_angle(gray)
    if abs(angle) < _MIN_ANGLE:
        return gray
    image = Image.fromarray(gray).rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return np.asarray(image)
