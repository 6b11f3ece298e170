"""Text encodings of uploaded attributes: UTF-8 or the Chinese GBK / GB18030.

Chinese GIS deliveries often come as DBF files in GBK without a ``.cpg``, and GDAL then reads
them as Latin-1 (mojibake). The raw bytes are checked here instead: strict UTF-8 first (it
practically never decodes text that is not UTF-8), then GBK, then GB18030, and the Chinese
decodings are only accepted when they read as Chinese.
"""

from __future__ import annotations

import codecs
import struct
from pathlib import Path

from geo.errors import GeoInputError

#: encodings a user may name, and the spellings .cpg files use for them
ALIASES = {
    "utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8", "utf-8-sig": "utf-8",
    "gbk": "gbk", "cp936": "gbk", "936": "gbk", "ansi 936": "gbk", "gb2312": "gbk",
    "gb18030": "gb18030", "54936": "gb18030",
}
SUPPORTED = ("utf-8", "gbk", "gb18030")


def normalise(name: str) -> str:
    """The canonical name ("utf-8", "gbk", "gb18030") of an encoding a user or .cpg names.

    Raises ``encoding`` for a name that is not one of these.
    """
    key = (name or "").strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    try:
        canonical = codecs.lookup(key).name
    except LookupError:
        canonical = ""
    if canonical in ("utf-8", "gbk", "gb18030"):
        return canonical
    raise GeoInputError(
        f"不支持的字符编码“{name}”。请选择 UTF-8、GBK 或 GB18030。",
        f"Unsupported text encoding '{name}'. Choose UTF-8, GBK or GB18030.",
        code="encoding")


def _chinese_share(text: str) -> float:
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return 1.0
    cjk = sum(1 for ch in wide if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
              or "\uff00" <= ch <= "\uffef" or "\u3400" <= ch <= "\u4dbf")
    return cjk / len(wide)


def detect(raw: bytes) -> str:
    """"utf-8", "gbk" or "gb18030" for ``raw`` bytes; raises ``encoding`` when none reads right."""
    if raw.isascii():
        return "utf-8"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in ("gbk", "gb18030"):
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if _chinese_share(text) >= 0.8:
            return enc
    raise undecodable()


def undecodable(tried: str | None = None) -> GeoInputError:
    if tried:
        return GeoInputError(
            f"按 {tried} 无法正确解码文件中的文字。请换用其他编码（UTF-8、GBK 或 GB18030）后重试。",
            f"The file's text does not decode as {tried}. Try another encoding (UTF-8, GBK or "
            "GB18030).",
            code="encoding")
    return GeoInputError(
        "无法识别文件中文字的编码（既不是 UTF-8，也不是 GBK/GB18030）。请指定编码，或用 UTF-8 另存后上传。",
        "Cannot tell the text encoding of the file (it is neither UTF-8 nor GBK/GB18030). Name "
        "the encoding, or save the file as UTF-8 and upload again.",
        code="encoding")


def check(raw: bytes, encoding: str) -> None:
    """Raise ``encoding`` when ``raw`` does not decode strictly as ``encoding``."""
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise undecodable(encoding) from exc


def decode_text(raw: bytes, encoding: str | None = None) -> tuple[str, str, str]:
    """Decode a text file: ``(text, encoding, how)`` with ``how`` "user" or "detected"."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    if encoding:
        enc = normalise(encoding)
        check(raw, enc)
        return raw.decode(enc), enc, "user"
    enc = detect(raw)
    return raw.decode(enc), enc, "detected"


def _dbf_header(head: bytes, size: int) -> tuple[int, int, int]:
    """(records, header length, record length) of a DBF of ``size`` bytes starting ``head``;
    ``bad_file`` when the header claims more records than the file has room for."""
    n_records, header_len, record_len = struct.unpack_from("<IHH", head, 4)
    room = (size - header_len) // record_len if record_len and size >= header_len else 0
    if n_records > room:
        raise GeoInputError(
            f"属性表（.dbf）已损坏：文件头声明 {n_records:,} 条记录，而文件大小最多容纳 {room:,} 条。"
            "请用 GIS 软件重新导出后上传。",
            f"The attribute table (.dbf) is damaged: its header claims {n_records:,} records, but "
            f"the file has room for {room:,} at most. Export it again from your GIS and upload it.",
            code="bad_file", details={"declared": n_records, "room": room})
    return n_records, header_len, record_len


def dbf_record_count(path: Path) -> int:
    """The records a DBF declares, checked against its size (see :func:`_dbf_header`)."""
    with open(path, "rb") as f:
        head = f.read(32)
    return _dbf_header(head, Path(path).stat().st_size)[0] if len(head) >= 12 else 0


def _dbf_layout(data: bytes):
    """(field-name spans, character-field value spans) of a DBF as (start, length) pairs."""
    n_records, header_len, record_len = _dbf_header(data, len(data))
    names, fields, pos, offset = [], [], 32, 1  # each record starts with a deletion flag
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        name = data[pos:pos + 11].split(b"\x00")[0]
        names.append((pos, len(name)))
        if data[pos + 11:pos + 12] == b"C":
            fields.append((offset, data[pos + 16]))
        offset += data[pos + 16]
        pos += 32
    values = [(header_len + r * record_len + o, n) for r in range(n_records) for o, n in fields
              if header_len + r * record_len + o + n <= len(data)]
    return names, values


def dbf_text_chunks(path: Path) -> list[bytes]:
    """The bytes of a DBF's field names and character values, one item each.

    Only these can hold text; numeric, date and binary fields are skipped so they cannot
    disturb the detection.
    """
    data = Path(path).read_bytes()
    if len(data) < 32:
        return []
    names, values = _dbf_layout(data)
    return [data[s:s + n].rstrip(b" \x00") for s, n in (*names, *values)]


def dbf_text_sample(path: Path, records: int = 20_000) -> list[bytes]:
    """:func:`dbf_text_chunks` of the first ``records`` records only: enough to tell the
    encoding of a table of a million records without reading all of it."""
    with open(path, "rb") as f:
        head = f.read(32)
        if len(head) < 32:
            return []
        n_records, header_len, record_len = _dbf_header(head, Path(path).stat().st_size)
        keep = min(n_records, records)
        data = bytearray(head + f.read(header_len - 32 + keep * record_len))
    struct.pack_into("<I", data, 4, keep)
    names, values = _dbf_layout(bytes(data))
    return [bytes(data[s:s + n]).rstrip(b" \x00") for s, n in (*names, *values)]


def _decode_cut(raw: bytes, encoding: str) -> tuple[str, int]:
    """Decode ``raw``, forgiving only a multi-byte character cut off at its end (DBF names stop at
    10 bytes and values at the field width, sometimes mid-character); returns (text, bytes cut)."""
    try:
        return raw.decode(encoding), 0
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 3 or exc.end < len(raw):
            raise
        return raw[:exc.start].decode(encoding), len(raw) - exc.start


def _decodes(chunks: list[bytes], encoding: str) -> str | None:
    try:
        return "\n".join(_decode_cut(c, encoding)[0] for c in chunks)
    except UnicodeDecodeError:
        return None


def detect_chunks(chunks: list[bytes]) -> str:
    """:func:`detect` for separate text items, each of which may end in a cut-off character."""
    if all(c.isascii() for c in chunks):
        return "utf-8"
    if _decodes(chunks, "utf-8") is not None:
        return "utf-8"
    for enc in ("gbk", "gb18030"):
        text = _decodes(chunks, enc)
        if text is not None and _chinese_share(text) >= 0.8:
            return enc
    raise undecodable()


def check_chunks(chunks: list[bytes], encoding: str) -> None:
    """Raise ``encoding`` when the items do not decode as ``encoding``."""
    if _decodes(chunks, encoding) is None:
        raise undecodable(encoding)


def repair_dbf(path: Path, encoding: str) -> int:
    """Blank out characters cut in half at the end of field names and text values, in place
    (on the temporary copy), so GDAL can decode them; returns how many items were repaired."""
    data = bytearray(Path(path).read_bytes())
    if len(data) < 32:
        return 0
    names, values = _dbf_layout(bytes(data))
    repaired = 0
    for spans, pad in ((names, b"\x00"), (values, b" ")):
        for start, length in spans:
            raw = bytes(data[start:start + length]).rstrip(b" \x00")
            try:
                _, cut = _decode_cut(raw, encoding)
            except UnicodeDecodeError:
                continue
            if cut:
                data[start + len(raw) - cut:start + len(raw)] = pad * cut
                repaired += 1
    if repaired:
        Path(path).write_bytes(bytes(data))
    return repaired


def cpg_encoding(path: Path) -> str | None:
    """The encoding a ``.cpg`` names (normalised), or None when it names none we support."""
    try:
        text = Path(path).read_text(encoding="ascii", errors="ignore").strip()
        return normalise(text) if text else None
    except GeoInputError:
        return None
