"""Measure a zip's central directory before `zipfile` parses it.

`zipfile.ZipFile(fh)` reads the whole central directory into memory and builds a ZipInfo per
entry (about 555 bytes of memory for a 46-byte entry) as soon as it is constructed, and it
parses by the directory's byte size, not by the entry count the archive claims. So an upload
is measured first, without building anything: the end-of-central-directory record (and the
zip64 one) gives the claimed entry count and the directory's size and place, and a walk over
the entries' fixed-size headers counts the entries really there (a lying count cannot hide
them). The lookup mirrors zipfile's own (`_EndRecData`), so both see the same directory.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

END = struct.Struct("<4s4H2LH")  # end of central directory record
END_SIGNATURE = b"PK\x05\x06"
LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator
LOCATOR_SIGNATURE = b"PK\x06\x07"
END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record
END64_SIGNATURE = b"PK\x06\x06"
ENTRY = struct.Struct("<4s4B4HL2L5H2L")  # central directory file header (46 bytes)
ENTRY_SIGNATURE = b"PK\x01\x02"
MAX_COMMENT = 1 << 16
# Average directory bytes per entry we accept: 46 fixed + a long path + usual extra fields.
BYTES_PER_ENTRY = 1024


@dataclass(frozen=True)
class Directory:
    entries: int  # as claimed by the end record
    size: int  # bytes
    start: int  # offset in the file, as zipfile computes it


def find_directory(fh: IO[bytes]) -> Directory | None:
    """The central directory as the end records describe it; None when there is no end
    record (zipfile then raises BadZipFile, reported as `bad_zip`)."""
    fh.seek(0, 2)
    file_size = fh.tell()
    tail_start = max(file_size - MAX_COMMENT - END.size, 0)
    fh.seek(tail_start)
    tail = fh.read()
    if tail[-END.size : -END.size + 4] == END_SIGNATURE and tail[-2:] == b"\0\0":
        at = len(tail) - END.size  # no archive comment: the usual case
    else:
        at = tail.rfind(END_SIGNATURE)
        if at < 0 or len(tail) - at < END.size:
            return None
    fields = END.unpack_from(tail, at)
    entries, size, offset = fields[4], fields[5], fields[6]
    end_position = tail_start + at
    extra = 0
    if end_position >= LOCATOR.size + END64.size:
        fh.seek(end_position - LOCATOR.size)
        locator = fh.read(LOCATOR.size)
        if locator[:4] == LOCATOR_SIGNATURE:
            fh.seek(end_position - LOCATOR.size - END64.size)
            record = END64.unpack(fh.read(END64.size))
            if record[0] == END64_SIGNATURE:
                entries, size, offset = record[7], record[8], record[9]
                extra = LOCATOR.size + END64.size
    concat = end_position - size - offset - extra  # data prepended to the archive
    return Directory(entries=entries, size=size, start=offset + concat)


def count_entries(fh: IO[bytes], directory: Directory, *, stop_after: int) -> int:
    """How many entry headers the directory really holds, counting at most `stop_after` + 1.
    Reads the headers one by one (46 bytes each) and skips their names, so memory stays flat."""
    if directory.start < 0:
        return 0  # zipfile refuses it ("Bad offset for central directory")
    fh.seek(directory.start)
    position, count = 0, 0
    while position + ENTRY.size <= directory.size and count <= stop_after:
        header = fh.read(ENTRY.size)
        if len(header) < ENTRY.size or header[:4] != ENTRY_SIGNATURE:
            break  # corrupt: zipfile will say so
        fields = ENTRY.unpack(header)
        skip = fields[12] + fields[13] + fields[14]  # name, extra field, comment lengths
        fh.seek(skip, 1)
        position += ENTRY.size + skip
        count += 1
    return count


def too_many_entries(fh: IO[bytes], *, max_entries: int) -> str | None:
    """Why this archive's directory is too big to parse, or None. Cheap: the end records plus
    at most `max_entries` + 1 fixed-size headers are read; nothing is built."""
    directory = find_directory(fh)
    if directory is None:
        return None
    if directory.entries > max_entries:
        return f"the archive lists {directory.entries:,} entries (at most {max_entries:,})"
    if directory.size <= max_entries * BYTES_PER_ENTRY:
        if count_entries(fh, directory, stop_after=max_entries) > max_entries:
            return (
                f"the archive claims {directory.entries:,} entries but its directory holds "
                f"more than {max_entries:,}"
            )
        return None
    return (
        f"the archive's directory takes {directory.size:,} bytes "
        f"(at most {max_entries * BYTES_PER_ENTRY:,})"
    )
