"""Draft import: a DOCX, ODT, Markdown or HTML upload becomes numbered sections and paragraphs, or a DraftError."""

import functools
import html
import io
import json
import re
import subprocess  # nosec B404  # pandoc runs as a child process: timeout, memory cap, sandbox, no shell
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO, Any
from xml.etree import ElementTree  # nosec B405  # only after every DOCTYPE is refused

import pypandoc
from django.utils.translation import gettext as _

# pandoc's reader for each accepted file ending. `docx+styles` keeps Word's paragraph style names, so a
# "Caption" paragraph is recognised as a caption wherever it stands.
FORMATS = {
    ".docx": "docx+styles",
    ".odt": "odt",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 5_000_000
# The 200-page benchmark draft unzips to 3 MB in 17 entries; an office file with many images has hundreds.
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_ENTRY_BYTES = 64 * 1024 * 1024
MAX_UNZIPPED_BYTES = 160 * 1024 * 1024
# Word's XML compresses about 10:1; a zip bomb compresses 1,000:1 or more. Small entries may compress better.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
CONVERT_TIMEOUT_SECONDS = 30
# Haskell heap cap for pandoc (+RTS -M): a 200-page draft peaks well under 300 MB.
CONVERT_MEMORY = "1g"
# Headings deeper than this fold into their enclosing section as ordinary paragraphs.
MAX_SECTION_LEVEL = 3
PREAMBLE_NUMBER = "0"

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
BLOCK_KINDS = ("paragraph", "list_item", "table_row", "caption", "quote", "code")


class DraftError(Exception):
    """A draft that cannot be imported; `message` is in the active language, `code` is stable for callers."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Block:
    kind: str
    text: str
    level: int = 0


@dataclass(frozen=True)
class Section:
    number: str
    heading: str
    level: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Draft:
    title: str
    sections: tuple[Section, ...]

    def paragraph_count(self) -> int:
        return sum(len(section.blocks) for section in self.sections)


def paragraph_label(section_number: str, paragraph_number: int) -> str:
    return f"{section_number} ¶{paragraph_number}"


def read_draft(data: bytes | IO[bytes], *, filename: str) -> Draft:
    """Read an uploaded draft whole, or raise DraftError: no database, no partial result.

    Text before the first heading becomes section "0" with no heading. Headings number "1", "1.2", "1.2.3"; a
    skipped level nests one step (a level-3 heading under a level-1 is "1.1"); deeper headings fold into their
    level-3 section as paragraphs. Paragraphs, list items (one per paragraph, with their nesting level), table
    rows (cells joined by " | "), captions, quotes and code blocks are numbered from 1 in each section; empty
    ones are dropped. The title is the document's metadata title, else its first level-1 heading, else the
    file name without its ending.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix not in FORMATS:
        raise DraftError(
            _(
                "Drafts can be imported from Word (.docx), OpenDocument (.odt), Markdown (.md) or HTML (.html) files."
            )
            + " "
            + _("“%(name)s” is none of these.") % {"name": PurePath(filename).name},
            code="unsupported",
        )
    if not isinstance(data, bytes):
        data = data.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise DraftError(_("The file is empty."), code="empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DraftError(
            _("The file is larger than %(size)d MB, the most a draft may be.")
            % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if suffix in (".docx", ".odt"):
        meta_title, captions = _check_office_file(data, suffix=suffix)
        ast = _convert(data, reader=FORMATS[suffix], suffix=suffix)
    else:
        text = _check_text_file(data, suffix=suffix)
        meta_title, captions = "", frozenset()
        ast = _convert(text.encode(), reader=FORMATS[suffix], suffix=suffix)
    return _draft_from_ast(ast, meta_title=meta_title, captions=captions, stem=PurePath(filename).stem)


# Checks before conversion: cheap, and each refuses with a message that says what is wrong.


def _describe(data: bytes) -> str:
    """What a file really is, judged by its first bytes, for a message about a mismatched file ending."""
    head = data[:512].lstrip()
    if head.startswith(b"%PDF"):
        return _("a PDF document")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _("an old-style Word (.doc) document")
    if head.startswith(b"PK"):
        return _("a ZIP archive")
    if head.startswith(b"{\\rtf"):
        return _("an RTF document")
    if head[:1] == b"<":
        return _("an HTML or XML text")
    return _("a file of another type")


def _wrong_type(expected: str, data: bytes) -> DraftError:
    return DraftError(
        _(
            "This file is named as %(expected)s but is really %(actual)s. Save it as %(expected)s and try again."
        )
        % {"expected": expected, "actual": _describe(data)},
        code="wrong_type",
    )


def _check_text_file(data: bytes, *, suffix: str) -> str:
    expected = _("an HTML page") if suffix in (".html", ".htm") else _("a Markdown text")
    if data.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"\x00" in data[:8192]:
        raise _wrong_type(expected, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DraftError(
            _(
                "Markdown and HTML drafts must be saved as UTF-8 text, and this file is not. Save it again choosing the UTF-8 encoding."
            ),
            code="not_utf8",
        ) from None
    if len(text) > MAX_TEXT_CHARS:
        raise _too_much_text()
    # pandoc does not expand DTD entities, but a draft that declares them is hostile or broken either way.
    if suffix in (".html", ".htm") and re.search(r"<!DOCTYPE[^>\[]*\[|<!ENTITY", text, re.IGNORECASE):
        raise _entities()
    if not text.strip():
        raise DraftError(_("The file is empty."), code="empty")
    return text


def _too_much_text() -> DraftError:
    return DraftError(
        _(
            "The draft holds more than %(count)s characters of text, the most one import may hold. Split it into several resources."
        )
        % {"count": f"{MAX_TEXT_CHARS:,}"},
        code="too_much_text",
    )


def _entities() -> DraftError:
    return DraftError(
        _(
            "The file declares XML entities (a DOCTYPE with ENTITY definitions), which drafts never need and which can be used to blow up a small file into gigabytes. Save the draft again from your editor."
        ),
        code="entities",
    )


def _corrupt(expected: str) -> DraftError:
    return DraftError(
        _(
            "The file, %(expected)s, is damaged and cannot be read. Open it in your editor, save it again and retry."
        )
        % {"expected": expected},
        code="corrupt",
    )


def _zip_bomb() -> DraftError:
    return DraftError(
        _(
            "The file unpacks to far more data than a draft holds (it looks like a “zip bomb”), so it was not opened."
        ),
        code="zip_bomb",
    )


def _check_office_file(data: bytes, *, suffix: str) -> tuple[str, frozenset[str]]:
    """Check a DOCX or ODT from its zip directory before pandoc sees it; returns the title in its metadata
    and, for ODT, the texts of caption paragraphs (pandoc's ODT reader drops paragraph styles)."""
    expected = _("a Word document (.docx)") if suffix == ".docx" else _("an OpenDocument text (.odt)")
    if not data.startswith(b"PK\x03\x04"):
        raise _wrong_type(expected, data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise _corrupt(expected) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _zip_bomb()
    total = 0
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if (
            entry.file_size > MAX_ZIP_ENTRY_BYTES
            or total > MAX_UNZIPPED_BYTES
            or (entry.file_size > RATIO_CHECKED_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO)
        ):
            raise _zip_bomb()
        if entry.flag_bits & 0x1:
            raise DraftError(
                _("The file is protected with a password. Remove the password in your editor and try again."),
                code="encrypted",
            )
    names = {entry.filename for entry in entries}
    if suffix == ".docx":
        if "word/document.xml" not in names:
            raise _wrong_type(expected, data) if "content.xml" in names else _corrupt(expected)
        main_part, meta_part = "word/document.xml", "docProps/core.xml"
    else:
        mimetype = _read_entry(archive, "mimetype", expected) if "mimetype" in names else b""
        if mimetype.strip() != ODT_MIMETYPE or "content.xml" not in names:
            raise _wrong_type(expected, data)
        main_part, meta_part = "content.xml", "meta.xml"
    for entry in entries:
        # Office files never carry a DOCTYPE; one here is an entity-expansion attack or garbage.
        if entry.filename.endswith((".xml", ".rels")) and b"<!DOCTYPE" in _read_entry(
            archive, entry.filename, expected
        ):
            raise _entities()
    # The main part without its markup over-counts the text only by entities (&amp; is five characters): a
    # cheap refusal before pandoc spends seconds on it. The walk counts exactly.
    main = _read_entry(archive, main_part, expected)
    if len(re.sub(rb"<[^>]*>", b"", main).decode("utf-8", "replace")) > MAX_TEXT_CHARS:
        raise _too_much_text()
    meta = _read_entry(archive, meta_part, expected) if meta_part in names else b""
    match = re.search(rb"<dc:title[^>]*>([^<]*)</dc:title>", meta)
    title = html.unescape(match.group(1).decode("utf-8", "replace")).strip() if match else ""
    return title, (_odt_captions(main, expected) if suffix == ".odt" else frozenset())


# LibreOffice's caption paragraph styles (Insert > Caption), and their names in odfpy and older versions.
ODT_CAPTION_STYLES = {"Caption", "Illustration", "Table", "Figure", "Drawing"}
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"


def _odt_captions(content: bytes, expected: str) -> frozenset[str]:
    try:
        root = ElementTree.fromstring(content)  # noqa: S314  # nosec B314  # DOCTYPE refused, no entities
    except ElementTree.ParseError:
        raise _corrupt(expected) from None
    styles = set(ODT_CAPTION_STYLES)
    for style in root.iter(f"{{{_STYLE}}}style"):
        if style.get(f"{{{_STYLE}}}parent-style-name", "").replace("_20_", " ") in ODT_CAPTION_STYLES:
            styles.add(style.get(f"{{{_STYLE}}}name", ""))
    return frozenset(
        _tidy("".join(paragraph.itertext()))
        for paragraph in root.iter(f"{{{_TEXT}}}p")
        if paragraph.get(f"{{{_TEXT}}}style-name", "").replace("_20_", " ") in styles
    )


def _read_entry(archive: zipfile.ZipFile, name: str, expected: str) -> bytes:
    # zipfile stops at the size the directory declares and checks the CRC, so a lying entry cannot grow here.
    try:
        with archive.open(name) as entry:
            return entry.read(MAX_ZIP_ENTRY_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise _corrupt(expected) from None


# Conversion: pandoc reads every format into one JSON tree.


@functools.cache
def _pandoc() -> str:
    return pypandoc.get_pandoc_path()


def _convert(data: bytes, *, reader: str, suffix: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="draft-") as folder:
        # pandoc needs a seekable file to read a zip; --sandbox lets it read that file and nothing else.
        source = Path(folder) / f"draft{suffix}"
        source.write_bytes(data)
        command = [
            _pandoc(),
            "+RTS",
            f"-M{CONVERT_MEMORY}",
            "-RTS",
            "--sandbox",
            f"--from={reader}",
            "--to=json",
            str(source),
        ]
        try:
            result = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list, no shell
                command, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS, check=False, cwd=folder
            )
        except subprocess.TimeoutExpired:
            raise DraftError(
                _(
                    "Reading the draft took longer than %(seconds)d seconds, so it was stopped. Try a smaller file, or split the draft."
                )
                % {"seconds": CONVERT_TIMEOUT_SECONDS},
                code="timeout",
            ) from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace")
        if "heap" in stderr.lower():
            raise DraftError(
                _(
                    "The draft needs more memory to read than an import may use. Try a smaller file, or split the draft."
                ),
                code="too_large",
            )
        raise DraftError(
            _(
                "The converter could not read this file (%(reason)s). Open it in your editor, save it again and retry."
            )
            % {"reason": stderr.strip().splitlines()[-1][:200] if stderr.strip() else result.returncode},
            code="corrupt",
        )
    try:
        return json.loads(result.stdout)
    except (ValueError, RecursionError):
        raise DraftError(_("The draft is nested too deeply to be read."), code="too_complex") from None


# Walking pandoc's tree into sections and blocks.


class _Builder:
    def __init__(self, captions: frozenset[str]) -> None:
        self.captions = captions
        self.sections: list[Section] = []
        self.counters: list[int] = []
        self.number = PREAMBLE_NUMBER
        self.heading = ""
        self.level = 0
        self.blocks: list[Block] = []
        self.chars = 0
        self.first_heading = ""

    def add(self, kind: str, text: str, level: int = 0) -> None:
        text = _tidy(text)
        if not text:
            return
        if kind == "paragraph" and text in self.captions:
            kind = "caption"
        self.chars += len(text)
        if self.chars > MAX_TEXT_CHARS:
            raise _too_much_text()
        self.blocks.append(Block(kind=kind, text=text, level=level))

    def heading_at(self, level: int, text: str) -> None:
        text = _tidy(text)
        if not text:
            return
        if level == 1 and not self.first_heading:
            self.first_heading = text
        # A skipped level (a level-3 heading straight under a level-1) nests one step, never numbers a zero.
        level = min(level, len(self.counters) + 1)
        if level > MAX_SECTION_LEVEL:
            self.add("paragraph", text)
            return
        self.close()
        del self.counters[level:]
        while len(self.counters) < level:
            self.counters.append(0)
        self.counters[-1] += 1
        self.number = ".".join(str(count) for count in self.counters)
        self.heading, self.level = text, level

    def close(self) -> None:
        if self.number != PREAMBLE_NUMBER or self.blocks:
            self.sections.append(
                Section(number=self.number, heading=self.heading, level=self.level, blocks=tuple(self.blocks))
            )
        self.blocks = []


def _draft_from_ast(ast: dict[str, Any], *, meta_title: str, captions: frozenset[str], stem: str) -> Draft:
    builder = _Builder(captions)
    try:
        for block in ast.get("blocks", []):
            _walk(block, builder, kind="paragraph")
    except RecursionError:
        raise DraftError(_("The draft is nested too deeply to be read."), code="too_complex") from None
    builder.close()
    if not builder.counters:
        if not builder.sections:
            raise DraftError(_("The draft holds no text."), code="empty")
        raise DraftError(
            _(
                "The draft has no headings, so it cannot be split into sections. Give each section title a heading style (Heading 1, Heading 2, Heading 3 in Word or LibreOffice), start it with # or ## in Markdown, or use <h1> to <h3> in HTML, then upload it again."
            ),
            code="no_headings",
        )
    title = _tidy(_meta_text(ast.get("meta", {}).get("title"))) or meta_title or builder.first_heading or stem
    return Draft(title=title, sections=tuple(builder.sections))


def _walk(block: dict[str, Any], builder: _Builder, *, kind: str, level: int = 0) -> None:
    tag, content = block.get("t"), block.get("c")
    if tag in ("Para", "Plain"):
        builder.add(kind, _inline_text(content), level)
    elif tag == "LineBlock":
        builder.add(kind, "\n".join(_inline_text(line) for line in content), level)
    elif tag == "Header":
        builder.heading_at(content[0], _inline_text(content[2]))
    elif tag == "CodeBlock":
        builder.add("code", content[1].rstrip())
    elif tag == "BlockQuote":
        for child in content:
            _walk(child, builder, kind="quote")
    elif tag in ("BulletList", "OrderedList"):
        items = content if tag == "BulletList" else content[1]
        for item in items:
            # A list inside a list item nests one level deeper; a list anywhere else starts at level 0.
            _walk_item(item, builder, level=level + 1 if kind == "list_item" else 0)
    elif tag == "DefinitionList":
        for term, definitions in content:
            builder.add("list_item", _inline_text(term), 0)
            for definition in definitions:
                for child in definition:
                    _walk(child, builder, kind="list_item", level=1)
    elif tag == "Table":
        _walk_table(content, builder)
    elif tag == "Figure":
        for child in content[2]:
            _walk(child, builder, kind=kind, level=level)
        builder.add("caption", _blocks_text(content[1][1]))
    elif tag == "Div":
        style = dict(content[0][2]).get("custom-style", "").lower()
        if style == "caption":
            builder.add("caption", _blocks_text(content[1]))
            return
        child_kind = "quote" if style in ("quote", "intense quote") else kind
        for child in content[1]:
            _walk(child, builder, kind=child_kind, level=level)
    # RawBlock (raw HTML or TeX), HorizontalRule and unknown blocks carry no draft text.


def _walk_item(item: list[dict[str, Any]], builder: _Builder, *, level: int) -> None:
    # Each paragraph of an item is its own numbered block, so a comment can point at any one of them.
    for child in _unwrap(item):
        _walk(child, builder, kind="list_item", level=level)


def _unwrap(blocks: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """docx+styles wraps list paragraphs in a Div naming their style ("List Bullet"); look through it."""
    for block in blocks:
        if block.get("t") == "Div" and dict(block["c"][0][2]).get("custom-style", "").lower() != "caption":
            yield from _unwrap(block["c"][1])
        else:
            yield block


def _walk_table(content: list[Any], builder: _Builder) -> None:
    _attr, caption, _specs, head, bodies, foot = content
    builder.add("caption", _blocks_text(caption[1]))
    rows = list(head[1])
    for body in bodies:
        rows.extend(body[2])
        rows.extend(body[3])
    rows.extend(foot[1])
    for row in rows:
        cells = [_tidy(_blocks_text(cell[4])) for cell in row[1]]
        if any(cells):
            builder.add("table_row", " | ".join(cells))


def _blocks_text(blocks: Iterable[dict[str, Any]]) -> str:
    parts = []
    for block in blocks:
        tag, content = block.get("t"), block.get("c")
        if tag in ("Para", "Plain"):
            parts.append(_inline_text(content))
        elif tag == "LineBlock":
            parts.extend(_inline_text(line) for line in content)
        elif tag in ("BlockQuote",):
            parts.append(_blocks_text(content))
        elif tag == "Div":
            parts.append(_blocks_text(content[1]))
        elif tag in ("BulletList", "OrderedList"):
            items = content if tag == "BulletList" else content[1]
            parts.extend(_blocks_text(item) for item in items)
        elif tag == "CodeBlock":
            parts.append(content[1])
    return " ".join(part for part in parts if part)


_QUOTES = {"SingleQuote": ("‘", "’"), "DoubleQuote": ("“", "”")}


def _inline_text(inlines: Iterable[dict[str, Any]]) -> str:
    parts: list[str] = []
    for inline in inlines:
        tag, content = inline.get("t"), inline.get("c")
        if tag == "Str":
            parts.append(content)
        elif tag in ("Space", "SoftBreak"):
            parts.append(" ")
        elif tag == "LineBreak":
            parts.append("\n")
        elif tag in ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            parts.append(_inline_text(content))
        elif tag in ("Span", "Link", "Cite"):
            parts.append(_inline_text(content[1]))
        elif tag == "Quoted":
            opening, closing = _QUOTES.get(content[0]["t"], ("“", "”"))
            parts.append(opening + _inline_text(content[1]) + closing)
        elif tag in ("Code", "Math"):
            parts.append(content[1])
        elif tag == "Note":
            # A footnote stays with the sentence it annotates, so a comment on that paragraph can quote it.
            parts.append(" [" + _blocks_text(content) + "]")
        # Images (their alt text is not draft text) and raw HTML/TeX inlines are left out.
    return "".join(parts)


def _meta_text(value: dict[str, Any] | None) -> str:
    if not value:
        return ""
    if value.get("t") == "MetaString":
        return value["c"]
    if value.get("t") == "MetaInlines":
        return _inline_text(value["c"])
    if value.get("t") == "MetaBlocks":
        return _blocks_text(value["c"])
    return ""


def _tidy(text: str) -> str:
    """Collapse runs of spaces (Word documents are full of them) but keep deliberate line breaks."""
    lines = (" ".join(line.split()) for line in text.replace("\xa0", " ").split("\n"))
    return "\n".join(line for line in lines if line).strip()
