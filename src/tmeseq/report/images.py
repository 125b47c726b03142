"""PNG figures embedded in the report as ``data:`` URIs, made small first.

The workflow's figures are RGBA PNGs drawn at 150 dpi. Reduced to a 256-colour palette
(median cut, no dithering: plots have few colours, and flat areas stay flat) they keep their
look at about a third of the size, and the result is the same bytes for the same input.
(Scaling large figures down was tried and dropped: resampling adds colours, and the palette
image came out larger.)
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

#: Colours kept in the palette.
COLOURS = 256


def compact_png(data: bytes) -> bytes:
    """``data`` (a PNG) re-encoded with a :data:`COLOURS`-colour palette, or unchanged when
    that is not smaller.

    Parameters
    ----------
    data : bytes
        A PNG file's bytes.

    Returns
    -------
    bytes
        The palette PNG (white where the original was transparent), or ``data`` itself.
    """
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    palette = flat.quantize(
        colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    smaller = out.getvalue()
    return smaller if len(smaller) < len(data) else data


def png_data_uri(path: str | Path) -> str:
    """The PNG at ``path`` as a ``data:image/png;base64,...`` URI, compacted.

    Parameters
    ----------
    path : str or Path
        A PNG file.

    Returns
    -------
    str
        The URI (base64 holds only ``A-Z a-z 0-9 + / =``: safe in an attribute).
    """
    encoded = base64.b64encode(compact_png(Path(path).read_bytes())).decode("ascii")
    return f"data:image/png;base64,{encoded}"
