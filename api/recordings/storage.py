"""Recording files on the control plane's disk: chunks appended to a `.part` file, sealed
into the final name, read back by byte range. Every call runs its file I/O in a thread."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

MEDIA_TYPES = {"ogg": "audio/ogg", "wav": "audio/wav", "mp4": "audio/mp4"}
_READ_BLOCK = 64 * 1024


class RecordingStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, project_id: str, recording_id: str, fmt: str) -> Path:
        return self.root / project_id / f"{recording_id}.{fmt}"

    def _part(self, project_id: str, recording_id: str, fmt: str) -> Path:
        return self.path(project_id, recording_id, fmt).with_suffix(f".{fmt}.part")

    async def append(
        self, project_id: str, recording_id: str, fmt: str, offset: int, data: bytes
    ) -> int:
        """Write `data` at `offset` of the partial file (cutting anything after it, so a chunk
        resent after a lost answer replaces itself); returns the partial file's new size."""
        part = self._part(project_id, recording_id, fmt)

        def write() -> int:
            part.parent.mkdir(parents=True, exist_ok=True)
            with part.open("r+b" if part.exists() else "wb") as file:
                file.truncate(offset)
                file.seek(offset)
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
                return file.tell()

        return await asyncio.to_thread(write)

    async def seal(self, project_id: str, recording_id: str, fmt: str) -> int:
        """Move the complete partial file to its final name; returns its size."""
        part = self._part(project_id, recording_id, fmt)
        final = self.path(project_id, recording_id, fmt)

        def move() -> int:
            part.parent.mkdir(parents=True, exist_ok=True)
            if not part.exists():
                part.touch()
            os.replace(part, final)
            return final.stat().st_size

        return await asyncio.to_thread(move)

    async def delete(self, project_id: str, recording_id: str, fmt: str) -> None:
        paths = (
            self.path(project_id, recording_id, fmt),
            self._part(project_id, recording_id, fmt),
        )

        def remove() -> None:
            for path in paths:
                path.unlink(missing_ok=True)

        await asyncio.to_thread(remove)

    async def size(self, project_id: str, recording_id: str, fmt: str) -> int | None:
        path = self.path(project_id, recording_id, fmt)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            return None

    async def read(
        self, project_id: str, recording_id: str, fmt: str, start: int, end: int
    ) -> AsyncIterator[bytes]:
        """Bytes `start` through `end` (inclusive) of the sealed file, in blocks."""
        file = await asyncio.to_thread(self.path(project_id, recording_id, fmt).open, "rb")
        try:
            await asyncio.to_thread(file.seek, start)
            remaining = end - start + 1
            while remaining > 0:
                block = await asyncio.to_thread(file.read, min(_READ_BLOCK, remaining))
                if not block:
                    break
                remaining -= len(block)
                yield block
        finally:
            await asyncio.to_thread(file.close)
