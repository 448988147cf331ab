"""Checkpoints a killed process cannot leave half-written: an undo file for the blocks DuckDB rewrites in place.

DuckDB writes a checkpoint's new data into free blocks and then switches to it with one 4 KiB header write, so a
process killed mid-checkpoint leaves the old state readable, with one exception: its metadata blocks (256 KiB each,
block 0 first) are written back in place, the sub-blocks the old header still reads unchanged, the block's checksum
rewritten over the whole block. Linux may stop a write between pages when the process gets SIGKILL, and a block
left half new and half old no longer matches its checksum: DuckDB then refuses the file ("Corrupt database file:
computed checksum … does not match stored checksum … in block at location 12288"), though everything the old
header points at is intact and the write-ahead log still holds every committed change (it is truncated only after
the new header is written).

So yuqing checkpoints itself and never lets DuckDB do it unasked (``prepare`` turns off the checkpoints DuckDB
makes on its own): before each checkpoint, ``checkpoint`` copies the metadata blocks as they are into
``<db>.undo`` (written whole under a temporary name, synced, renamed), checkpoints, then deletes the undo file. A
writer that finds the file damaged and an undo file beside it puts those blocks back (``repair``): the file is
again exactly as the old header left it, and DuckDB replays the log over it when it opens. The undo file and the
repair are taken under an exclusive lock on ``<db>.undo.lock``, so a repair never runs against another process's
checkpoint. Like SQLite's rollback journal, it copies only what will be overwritten: a few hundred KiB, whatever
the size of the warehouse.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import logging
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import duckdb

# DuckDB's file starts with three 4 KiB headers (the main header, then two database headers written alternately);
# block n starts at HEADER_BYTES + n * block_size.
HEADER_BYTES = 3 * 4096
# DuckDB's own default: past this much write-ahead log a commit is followed by a checkpoint.
CHECKPOINT_AFTER_WAL_BYTES = 16 * 1024 * 1024

UNDO_SUFFIX = ".undo"
LOCK_SUFFIX = ".undo.lock"
_MAGIC = b"YQUNDO01"
_ENTRY = struct.Struct("<QQ")  # offset, length
_DIGEST_BYTES = 32
CORRUPT = "Corrupt database file"

log = logging.getLogger("yuqing.warehouse")


def undo_path_for(target: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(target)}{UNDO_SUFFIX}")


def wal_path_for(target: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(target)}.wal")


def database_files(target: str | os.PathLike[str]) -> tuple[Path, Path, Path]:
    """The file and the two that belong to it: DuckDB's write-ahead log, and the undo file of a checkpoint a killed
    process left (the lock file beside them is only a lock, kept)."""
    return Path(target), wal_path_for(target), undo_path_for(target)


def remove_database(target: str | os.PathLike[str]) -> None:
    """Delete a database with its write-ahead log and undo file, those that exist."""
    for path in database_files(target):
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(target: str) -> Iterator[None]:
    fd = os.open(f"{target}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock, as the kernel does when the process dies


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Stop DuckDB checkpointing a writer's file by itself (at close, or when the log grows): only ``checkpoint``
    does it, after saving what it overwrites."""
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("SET checkpoint_threshold = '1TB'")


def _metadata_blocks(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """(offset, length) in the file of every metadata block of the current database."""
    (block_size,) = con.execute(
        "SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()"
    ).fetchone()  # type: ignore[misc]
    block_ids = [int(row[0]) for row in con.execute("PRAGMA metadata_info").fetchall()]
    return [(HEADER_BYTES + block_id * int(block_size), int(block_size)) for block_id in sorted(block_ids)]


def _open_by_duckdb(target: str) -> int | None:
    """The descriptor DuckDB holds the file open with, found in /proc/self/fd; None where there is no such listing.

    The blocks are read through it because opening the file again and closing it would drop DuckDB's lock on it:
    POSIX releases a process's fcntl locks on a file when any descriptor of that file is closed, and another
    process could then open the warehouse beside this one."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return None
    wanted = os.stat(target)
    for entry in fds.iterdir():
        with contextlib.suppress(OSError):
            found = os.fstat(int(entry.name))
            if (found.st_dev, found.st_ino) == (wanted.st_dev, wanted.st_ino):
                return int(entry.name)
    return None


def _write_undo(target: str, fd: int, blocks: list[tuple[int, int]]) -> None:
    undo = undo_path_for(target)
    tmp = undo.with_name(f".{undo.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        head = _MAGIC + struct.pack("<Q", len(blocks))
        out.write(head)
        digest.update(head)
        for offset, length in blocks:
            data = os.pread(fd, length, offset)
            entry = _ENTRY.pack(offset, len(data)) + data
            out.write(entry)
            digest.update(entry)
        out.write(digest.digest())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, undo)
    _fsync_dir(undo)


def checkpoint(con: duckdb.DuckDBPyConnection, target: str, *, log_over: int = 0) -> None:
    """CHECKPOINT a writer's file so that a kill at any point leaves it readable (``repair`` finishes the job), when
    its write-ahead log holds more than ``log_over`` bytes (after a commit: ``CHECKPOINT_AFTER_WAL_BYTES``).

    Where DuckDB's descriptor cannot be found (no /proc), it checkpoints as DuckDB itself would, unprotected."""
    try:
        logged = wal_path_for(target).stat().st_size
    except FileNotFoundError:
        return  # nothing to write back
    if logged <= log_over:
        return
    con.complete()
    with _locked(target):
        fd = _open_by_duckdb(target)
        if fd is not None:
            _write_undo(target, fd, _metadata_blocks(con))
        con.execute("CHECKPOINT")
        undo_path_for(target).unlink(missing_ok=True)


def _read_undo(undo: Path) -> list[tuple[int, bytes]]:
    """The blocks an undo file holds; ValueError when it is not whole (it is written whole before it is named, so
    that means it was damaged afterwards)."""
    raw = undo.read_bytes()
    body, digest = raw[:-_DIGEST_BYTES], raw[-_DIGEST_BYTES:]
    if len(raw) < len(_MAGIC) + 8 + _DIGEST_BYTES or not body.startswith(_MAGIC):
        raise ValueError(f"{undo} is not a yuqing undo file")
    if hashlib.sha256(body).digest() != digest:
        raise ValueError(f"{undo} does not match its checksum")
    (count,) = struct.unpack_from("<Q", body, len(_MAGIC))
    pos = len(_MAGIC) + 8
    blocks: list[tuple[int, bytes]] = []
    for _ in range(count):
        offset, length = _ENTRY.unpack_from(body, pos)
        pos += _ENTRY.size
        blocks.append((offset, body[pos : pos + length]))
        pos += length
    if pos != len(body):
        raise ValueError(f"{undo} holds {len(body) - pos} bytes past its last block")
    return blocks


def repair(target: str) -> bool:
    """Put back the blocks saved before a checkpoint that did not finish; True when opening is worth trying again.

    Called by a writer that DuckDB refused with "Corrupt database file". Under the lock no other yuqing process is
    checkpointing; the file is looked at once more, and the blocks put back only if it is still refused. Applying
    is idempotent: a repair killed half-way is done again by the next writer.
    """
    undo = undo_path_for(target)
    with _locked(target):
        if not undo.exists():
            return False
        # Look again under the lock: another writer may have repaired the file since it was refused (and even
        # checkpointed it since, leaving a newer header the saved blocks would no longer fit).
        try:
            duckdb.connect(target, read_only=True).close()  # reads the log, writes nothing
        except duckdb.Error as e:
            if CORRUPT not in str(e):
                return True  # held by another process: the caller waits for it as usual
        else:
            undo.unlink()
            return True
        blocks = _read_undo(undo)
        fd = os.open(target, os.O_WRONLY)
        try:
            for offset, data in blocks:
                os.pwrite(fd, data, offset)
            os.fsync(fd)
        finally:
            os.close(fd)
        undo.unlink()
        _fsync_dir(undo)
    log.warning(
        "%s: a process was killed inside a checkpoint and left the file unreadable; put back the %d block(s) it "
        "saved in %s, and DuckDB replays the committed changes from its log",
        target,
        len(blocks),
        undo,
    )
    return True


def discard_stale(target: str) -> None:
    """A writer opened the file, so it is whole: an undo file left by a process killed after its checkpoint
    finished is not needed, nor one half-written by a process killed while writing it (only the file's holder
    writes one, and that is now this process)."""
    undo = undo_path_for(target)
    stale = [p for p in (undo, *undo.parent.glob(f".{glob.escape(undo.name)}.*.tmp")) if p.exists()]
    if stale:
        with _locked(target):
            for path in stale:
                path.unlink(missing_ok=True)
