"""The images behind the rows: a lazily read folder, and a check that each decodes."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, UnidentifiedImageError


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
            return path.read_bytes()
        except OSError:
            raise ImageUnavailable(name, "no such file in the images folder") from None

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
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        return f"image does not decode ({type(error).__name__}: {error})"
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
