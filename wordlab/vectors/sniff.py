"""Which word-vector format a file holds, from its first bytes (used by :func:`formats.sniff_format` and the
artifact registry): a zip (``.npz``), a ``<count> <dim>`` header then text rows or binary records, or text rows
``<word> <v1> ... <vd>`` without a header (GloVe's layout). A UTF-8 byte-order mark is looked through."""

from __future__ import annotations

BOM = b"\xef\xbb\xbf"


def _is_float_row(fields: list[bytes]) -> bool:
    try:
        for v in fields:
            float(v)
    except ValueError:
        return False
    return True


def _header_of(line: bytes) -> tuple[int, int] | None:
    parts = line.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def sniff_bytes(head: bytes) -> str:
    """:func:`sniff_format` on the first bytes of a (decompressed) file."""
    if head[:4] == b"PK\x03\x04":
        return "npz"
    if head.startswith(BOM):
        head = head[len(BOM):]
    nl = head.find(b"\n")
    first = head[:nl] if nl >= 0 else head
    header = _header_of(first)
    if header is None:  # no header: a GloVe-style text file has two or more float fields after a word
        lines = [ln.rstrip(b"\r") for ln in head.split(b"\n")[:3]]
        if nl < 0 or not lines[0].strip():
            return ""
        fields = lines[0].rstrip().split(b" ")
        if len(fields) < 2 or not _is_float_row(fields[1:]):
            return ""
        for ln in lines[1:-1] if len(lines) > 2 else lines[1:]:  # the last line of the block may be cut
            if ln and len(ln.rstrip().split(b" ")) != len(fields):
                return ""
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as e:
            if not (e.start >= len(head) - 3 and e.reason == "unexpected end of data"):
                return ""
        return "glove"
    body = head[nl + 1:] if nl >= 0 else b""
    try:
        body.decode("utf-8")
        text = True
    except UnicodeDecodeError as e:  # a cut multi-byte character at the end of the block is fine
        text = e.start >= len(body) - 3 and e.reason == "unexpected end of data"
    if text and any(b < 9 or 13 < b < 32 for b in body[:4096]):
        text = False
    if text:  # "3 4" could also open a headerless file of 1-D vectors: the next row decides
        second = body.split(b"\n", 1)[0].rstrip(b"\r").rstrip().split(b" ")
        if len(second) == 2 and header[1] != 1 and _is_float_row(second[1:]):
            return "glove"
    return "text" if text else "binary"
