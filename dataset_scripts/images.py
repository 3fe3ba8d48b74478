"""The images behind the rows: a lazily read folder, and a check that each decodes.

Only regular files are read (a FIFO would block the build, a device never
ends), up to MAX_IMAGE_BYTES; only the raster formats the release uses are
opened (Pillow would hand an EPS "image" to Ghostscript), up to MAX_PIXELS.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
MAX_IMAGE_BYTES = 64 * 2**20
MAX_PIXELS = 64_000_000  # well above the release's largest photos, far below a decompression bomb


class ImageUnavailable(KeyError):
    """An image name that names no readable file inside the folder."""

    def __init__(self, name: str, reason: str):
        super().__init__(name)
        self.reason = reason


class ImageFolder(Mapping[str, bytes]):
    """Image bytes by file name, read from disk only when a writer asks for them.

    The full release holds about 4,400 images; reading them on demand keeps the
    build's memory at one row group's worth instead of the whole folder.
    """

    def __init__(self, root: Path):
        self.root = root.resolve()

    def __getitem__(self, name: str) -> bytes:
        path = (self.root / name).resolve()
        # Checked after resolving, so a symlink inside the folder cannot lead out of it.
        if not path.is_relative_to(self.root):
            raise ImageUnavailable(name, "escapes the images folder")
        try:
            status = path.stat()
        except (OSError, ValueError):
            raise ImageUnavailable(name, "no such file in the images folder") from None
        if not stat.S_ISREG(status.st_mode):
            raise ImageUnavailable(name, "not a regular file")
        if status.st_size > MAX_IMAGE_BYTES:
            raise ImageUnavailable(name, f"larger than {MAX_IMAGE_BYTES // 2**20} MiB")
        try:
            return path.read_bytes()
        except OSError as error:
            raise ImageUnavailable(name, f"cannot be read ({error.strerror})") from None

    def __iter__(self) -> Iterator[str]:
        return (str(p.relative_to(self.root)) for p in sorted(self.root.rglob("*")) if p.is_file())

    def __len__(self) -> int:
        return sum(1 for _ in self)


def image_problem(data: bytes) -> str | None:
    """Why these bytes are not a usable image, or None when they decode.

    JPEGs are decoded at 1/8 scale (`draft`): the whole stream is still read, so
    a truncated or corrupt file fails, at a fraction of a full decode's cost.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    return f"{image.width}x{image.height} pixels, more than {MAX_PIXELS:,}"
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except UnidentifiedImageError:
        return f"not an image in one of the accepted formats ({', '.join(IMAGE_FORMATS)})"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"more than {MAX_PIXELS:,} pixels (a decompression bomb?)"
    except (OSError, SyntaxError, ValueError) as error:
        return f"image does not decode ({type(error).__name__}: {str(error)[:200]})"
    return None


def find_image_problems(images: Mapping[str, bytes], names: Iterable[str]) -> dict[str, str]:
    """Each image name that is missing, escapes the folder or fails to decode, with the reason.

    Decoding runs on all cores: Pillow releases the GIL while it decodes.
    """

    def check(name: str) -> tuple[str, str | None]:
        try:
            data = images[name]
        except ImageUnavailable as error:
            return name, error.reason
        except KeyError:
            return name, "no such image"
        return name, image_problem(data)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = pool.map(check, sorted(set(names)))
        return {name: reason for name, reason in results if reason is not None}
