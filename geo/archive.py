"""Unpacking uploaded zip files safely: no path leaves the folder, no member expands past a limit.

Sizes are checked twice: the sizes the zip declares are checked before anything is extracted
(total, and the compression ratio of every large member, and that the temporary folder's disk
has room for them), and the bytes actually inflated are counted while copying, so a zip that
lies about its sizes is stopped as well.
"""

from __future__ import annotations

import errno
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from geo.budget import check_temp_space
from geo.errors import GeoInputError

#: total uncompressed bytes a zip may expand to
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
#: compression ratio above which a large member is treated as a bomb (DBF padding reaches ~50:1)
MAX_RATIO = 200
#: members smaller than this are not ratio-checked (tiny files compress arbitrarily well)
RATIO_MIN_BYTES = 1024 * 1024
MAX_MEMBERS = 2000
_CHUNK = 1024 * 1024

#: folders and files zip tools add that are never data
_JUNK = ("__MACOSX/",)


def _bomb(detail_zh: str, detail_en: str) -> GeoInputError:
    return GeoInputError(
        f"压缩包解压后过大或压缩比异常（{detail_zh}），已拒绝。请只打包所需的矢量文件后重新上传。",
        f"The zip expands too far or is compressed suspiciously well ({detail_en}) and was "
        "refused. Zip only the vector files you need and upload again.",
        code="zip_bomb")


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: zips made on Chinese Windows store GBK names
    without the UTF-8 flag, which :mod:`zipfile` decodes as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.filename


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise GeoInputError(
            f"压缩包中的路径“{name}”指向解压目录之外，文件可能被篡改，已拒绝。",
            f"The zip member '{name}' points outside the folder it is unpacked into; the file "
            "may have been tampered with and was refused.",
            code="zip_slip")
    return path


def _check_declared(infos: list[zipfile.ZipInfo], max_bytes: int, max_ratio: float) -> int:
    """The total bytes the members declare, once they pass the limits."""
    if len(infos) > MAX_MEMBERS:
        raise _bomb(f"{len(infos)} 个文件", f"{len(infos)} members")
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        raise _bomb(f"声明解压后 {total / 2**20:.0f} MB，上限 {max_bytes / 2**20:.0f} MB",
                    f"declares {total / 2**20:.0f} MB unpacked, limit {max_bytes / 2**20:.0f} MB")
    for info in infos:
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            ratio, name = info.file_size / max(info.compress_size, 1), member_name(info)
            raise _bomb(f"{name} 压缩比 {ratio:.0f}:1", f"{name} ratio {ratio:.0f}:1")
    return total


def copy_capped(src, dst, budget: int) -> int:
    """Copy file object ``src`` to ``dst`` stopping with ``zip_bomb`` once more than ``budget``
    bytes have come out; returns the bytes copied."""
    copied = 0
    while chunk := src.read(_CHUNK):
        copied += len(chunk)
        if copied > budget:
            raise _bomb("实际解压字节超过上限", "the bytes actually inflated pass the limit")
        dst.write(chunk)
    return copied


def extract_zip(path: Path, dest: Path, *, max_bytes: int = MAX_UNPACKED_BYTES,
                max_ratio: float = MAX_RATIO) -> list[Path]:
    """Extract the zip at ``path`` into ``dest``; returns the extracted files.

    Raises :class:`GeoInputError` ``zip_slip``, ``zip_bomb`` or ``bad_zip``, and ``no_space``
    (503) when ``dest``'s disk cannot take the declared size; on error ``dest`` may hold partial
    output, so callers extract into a temporary folder they remove.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist()
                     if not i.is_dir() and not member_name(i).startswith(_JUNK)
                     and not PurePosixPath(member_name(i)).name.startswith("._")]
            targets = [(i, _safe_relative(member_name(i))) for i in infos]
            declared = _check_declared(infos, max_bytes, max_ratio)
            check_temp_space(next(p for p in (dest, *dest.parents) if p.exists()), declared)
            budget, out = max_bytes, []
            for info, rel in targets:
                target = dest.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    budget -= copy_capped(src, dst, budget)
                out.append(target)
            return out
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, zlib.error) as exc:
        raise _bad_zip() from exc  # RuntimeError: encrypted; zlib.error: damaged deflate data
    except OSError as exc:  # a member name too long for the file system, offsets past the end
        if exc.errno not in (errno.ENAMETOOLONG, errno.EINVAL):
            raise
        raise _bad_zip() from exc


def _bad_zip() -> GeoInputError:
    return GeoInputError(
        "压缩包已损坏或使用了不支持的压缩方式（如加密），无法解压。请重新打包（标准 ZIP）后上传。",
        "The zip is damaged or uses an unsupported method (e.g. encryption). Re-create it as a "
        "standard ZIP and upload again.",
        code="bad_zip")
