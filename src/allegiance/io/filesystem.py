"""Reading and writing files safely: size-limited, UTF-8 text in; atomic replacement out.

Every reader goes through :func:`read_text` (size limit, binary and encoding checks, errors that
name the file) and every writer through :func:`write_atomic`, which replaces a regular file in one
step (a temporary file renamed into place, so a reader never sees half a file), writes through a
symbolic link to its target, writes into a FIFO or device rather than replacing it, and refuses a
folder. Failures are :class:`~allegiance.io.errors.ReadError`-style problems naming the path.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from allegiance.io.errors import ReadError, problem
from allegiance.scenario import limits

MAX_BYTES = limits.MAX_FILE_BYTES


class WriteError(OSError):
    """A file could not be written; ``str()`` says which and why in plain words."""


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    """The text of ``path`` (UTF-8, a byte-order mark dropped), refusing binary files and files
    larger than ``limit`` bytes (a scenario file's limit by default)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError([problem(f"cannot read: {exc.strerror}", file=str(path))]) from None
    if size > limit:
        name = "max-file-bytes" if limit == MAX_BYTES else "max-dataset-bytes"
        raise ReadError([problem(f"the file is {size / 1e6:.1f} MB; the limit is "
                                 f"{limit / 1e6:.1f} MB (limit {name})", file=str(path))])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadError([problem(f"cannot read: {exc.strerror}", file=str(path))]) from None
    if b"\x00" in raw:
        raise ReadError([problem("this is a binary file, not a scenario", file=str(path))])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError([problem(f"not UTF-8 text (byte {exc.start})", file=str(path))]) from None


def output_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be written, in plain words, or None when it can (checked before a long
    computation, so that its result is not lost at the end)."""
    path = Path(path)
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in path.parts):
        return f"{str(path)[:60]}…: a file or folder name is longer than 255 bytes"
    target = path.resolve() if path.is_symlink() else path
    if target.is_dir():
        return f"{path} is a folder; give a file name"
    folder = _existing_parent(target.parent)
    if folder is None:
        return f"{path}: no folder on the path can be used"
    if not folder.is_dir():
        return f"{path}: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK) and not target.exists():
        return f"{path}: the folder {folder} is not writable"
    if target.exists() and not os.access(target, os.W_OK):
        return f"{path} is not writable"
    return None


def _existing_parent(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate
    return None


def missing_folders(path: str | Path) -> Path | None:
    """The first folder of ``path`` that does not exist yet (writing creates it), or None."""
    path = Path(path)
    missing = None
    for candidate in (path.parent, *path.parent.parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path``: atomically for a regular file, through a symbolic link to its
    target, and straight into a FIFO or device; missing folders are created.

    Raises :class:`WriteError` with a plain-words reason on failure; a partly written temporary
    file is removed.
    """
    path = Path(path)
    problem_text = output_problem(path)
    if problem_text:
        raise WriteError(problem_text)
    target = path.resolve() if path.is_symlink() else path
    data = text.encode("utf-8")
    try:
        mode = target.stat().st_mode if target.exists() else None
        if mode is not None and not stat.S_ISREG(mode):  # FIFO, character device, socket
            with open(target, "wb") as handle:
                handle.write(data)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:200]}.", dir=target.parent)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644 if mode is None else stat.S_IMODE(mode))
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise WriteError(f"cannot write {path}: {_reason(exc)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (read-only folder or file)"
    if exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    return exc.strerror or str(exc)
