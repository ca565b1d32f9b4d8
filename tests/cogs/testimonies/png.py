"""Just enough PNG to look at a Chromium screenshot without an imaging library.

8-bit RGB or RGBA, not interlaced: what headless Chromium writes. Rows filtered with None,
Sub or Up are undone with C-level map/accumulate; Average and Paeth rows need a loop.
"""

from __future__ import annotations

import itertools
import operator
import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BYTE = (255).__and__


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        start = x * self.channels
        r, g, b = self.rows[y][start : start + 3]
        return r, g, b


def size_of(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk."""
    assert data[:8] == SIGNATURE, "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def decode(data: bytes) -> Image:
    width, height = size_of(data)
    position, compressed = 8, bytearray()
    depth = kind = interlace = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        name = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if name == b"IHDR":
            depth, kind, interlace = body[8], body[9], body[12]
        elif name == b"IDAT":
            compressed += body
        position += 12 + length
    assert (depth, interlace) == (8, 0), (depth, interlace)
    assert kind in (2, 6), kind
    channels = 3 if kind == 2 else 4
    raw = zlib.decompress(bytes(compressed))
    stride = width * channels
    rows: list[bytes] = []
    prior = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind_of_row, line = raw[start], raw[start + 1 : start + 1 + stride]
        prior = _unfilter(kind_of_row, line, prior, channels)
        rows.append(prior)
    return Image(width, height, channels, rows)


def _unfilter(kind: int, line: bytes, prior: bytes, bpp: int) -> bytes:
    if kind == 0:
        return line
    if kind == 1:  # Sub: a running sum per channel
        out = bytearray(len(line))
        for channel in range(bpp):
            out[channel::bpp] = bytes(map(_BYTE, itertools.accumulate(line[channel::bpp])))
        return bytes(out)
    if kind == 2:  # Up
        return bytes(map(_BYTE, map(operator.add, line, prior)))
    out = bytearray(len(line))
    for i, value in enumerate(line):
        left = out[i - bpp] if i >= bpp else 0
        up = prior[i]
        if kind == 3:
            out[i] = (value + (left + up) // 2) & 255
            continue
        upper_left = prior[i - bpp] if i >= bpp else 0
        estimate = left + up - upper_left
        pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
        predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
        out[i] = (value + predictor) & 255
    return bytes(out)
