"""Reading a Check workspace export safely: the zip Check mails out, or the folder it unpacks to.

The archive comes from outside, so every member is checked before anything is
read or written: a name that climbs out of the export (``../x``, an absolute
path, a drive letter), a symbolic link, too many members, a member or a whole
export too large once decompressed, or a member compressed more than a
hundred to one (a zip bomb) refuses the whole export. Nothing is extracted to
disk: CSV files are read from the archive in memory, one at a time.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 10_000
# Check's largest file is the item list: 50,000 items of a few hundred bytes is ~25 MB.
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_RATIO = 100
# Below this, a high ratio is only a small file of repeated bytes (an empty CSV column).
RATIO_FLOOR_BYTES = 1024 * 1024


class ArchiveError(Exception):
    """The export cannot be read safely; the message says why, and nothing was written."""


@dataclass(frozen=True)
class Limits:
    members: int = MAX_MEMBERS
    member_bytes: int = MAX_MEMBER_BYTES
    total_bytes: int = MAX_TOTAL_BYTES
    ratio: int = MAX_RATIO


class Export:
    """The files of one export by base name (``workspace_item_data.csv``), read as bytes on demand."""

    def __init__(self, path: str | Path, limits: Limits | None = None):
        self.path = Path(path)
        self.limits = limits or Limits()
        self._zip: zipfile.ZipFile | None = None
        self._files: dict[str, str | Path] = {}
        if self.path.is_dir():
            self._open_folder()
        elif self.path.is_file():
            self._open_zip()
        else:
            raise ArchiveError(f"{self.path}: no such file or folder.")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def names(self) -> list[str]:
        return sorted(self._files)

    def read(self, name: str) -> bytes | None:
        """The bytes of a file of the export, or None when the export has no such file."""
        where = self._files.get(name)
        if where is None:
            return None
        if self._zip is not None:
            # The declared size was checked; a member that inflates past it is refused while reading.
            with self._zip.open(str(where)) as member:
                data = member.read(self.limits.member_bytes + 1)
            if len(data) > self.limits.member_bytes:
                raise ArchiveError(f"{name}: larger than {self.limits.member_bytes:,} bytes once decompressed.")
            return data
        return Path(where).read_bytes()

    # --- zip -------------------------------------------------------------------

    def _open_zip(self) -> None:
        if not zipfile.is_zipfile(self.path):
            raise ArchiveError(f"{self.path.name}: not a zip archive; give the zip Check sent or its unpacked folder.")
        try:
            archive = zipfile.ZipFile(self.path)
            members = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ArchiveError(f"{self.path.name}: unreadable zip archive ({exc}).") from None
        try:
            self._check_members(members)
        except ArchiveError:
            archive.close()
            raise
        self._zip = archive

    def _check_members(self, members: list[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(members) > limits.members:
            raise ArchiveError(
                f"{self.path.name}: {len(members):,} entries, more than the {limits.members:,} an export may hold."
            )
        total = 0
        for info in members:
            name = info.filename
            self._check_name(name)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ArchiveError(f"{self.path.name}: entry {name!r} is a symbolic link; refused.")
            if info.is_dir():
                continue
            if info.file_size > limits.member_bytes:
                raise ArchiveError(
                    f"{self.path.name}: entry {name!r} is {info.file_size:,} bytes once decompressed, "
                    f"more than {limits.member_bytes:,}."
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.ratio and info.file_size > RATIO_FLOOR_BYTES:
                raise ArchiveError(
                    f"{self.path.name}: entry {name!r} decompresses {ratio:,.0f} times its size "
                    f"(more than {limits.ratio}): refused as a zip bomb."
                )
            total += info.file_size
            if total > limits.total_bytes:
                raise ArchiveError(
                    f"{self.path.name}: more than {limits.total_bytes:,} bytes once decompressed; refused."
                )
            self._add(PurePosixPath(name).name, name)

    def _check_name(self, name: str) -> None:
        path = PurePosixPath(name.replace("\\", "/"))
        if not name or path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":") or "\x00" in name:
            raise ArchiveError(f"{self.path.name}: entry {name!r} points outside the export; refused.")

    def _add(self, base: str, where: str | Path) -> None:
        # Check writes every file at the top of its folder; a second file of the same name is ambiguous.
        if base in self._files:
            raise ArchiveError(f"{self.path.name}: two files named {base!r}; refused.")
        self._files[base] = where

    # --- folder ------------------------------------------------------------------

    def _open_folder(self) -> None:
        root = self.path.resolve()
        entries = list(self.path.rglob("*"))
        if len(entries) > self.limits.members:
            raise ArchiveError(
                f"{self.path}: {len(entries):,} entries, more than the {self.limits.members:,} an export may hold."
            )
        total = 0
        for entry in entries:
            if entry.is_symlink():
                raise ArchiveError(f"{self.path}: {entry.relative_to(self.path)} is a symbolic link; refused.")
            if not entry.is_file():
                continue
            if not entry.resolve().is_relative_to(root):
                raise ArchiveError(f"{self.path}: {entry} lies outside the export; refused.")
            size = entry.stat().st_size
            if size > self.limits.member_bytes:
                raise ArchiveError(
                    f"{self.path}: {entry.name} is {size:,} bytes, more than {self.limits.member_bytes:,}."
                )
            total += size
            if total > self.limits.total_bytes:
                raise ArchiveError(f"{self.path}: more than {self.limits.total_bytes:,} bytes; refused.")
            self._add(entry.name, entry)
