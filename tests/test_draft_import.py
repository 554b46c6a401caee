"""Importing a draft: DOCX, ODT, Markdown and HTML become numbered sections; hostile or broken files are refused."""

import io
import random
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from odf import dc
from odf.opendocument import OpenDocumentText
from odf.style import Style
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import H, List, ListItem, P

from feedback.organising import drafts
from feedback.organising.drafts import Block, DraftError, Section, paragraph_label, read_draft

# The draft every format below encodes, as the organiser will see it.
EXPECTED_SECTIONS = (
    Section(number="0", heading="", level=0, blocks=(Block("paragraph", "Prepared for the consultation."),)),
    Section(
        number="1",
        heading="Introduction",
        level=1,
        blocks=(
            Block("paragraph", "The toolkit supports responsible AI innovation."),
            Block("list_item", "Lawfulness", 0),
            Block("list_item", "Necessity and proportionality", 1),
            Block("list_item", "Fairness", 0),
        ),
    ),
    Section(
        number="1.1",
        heading="Scope",
        level=2,
        blocks=(
            Block("caption", "Table 1: Principles"),
            Block("table_row", "Principle | Kind"),
            Block("table_row", "Lawfulness | Core"),
        ),
    ),
    Section(
        number="2", heading="Risk assessment", level=1, blocks=(Block("paragraph", "Assess each risk."),)
    ),
)


def _multilevel_bullets(document: docx.document.Document) -> int:
    """python-docx's template has only one-level lists; add a two-level one as Word writes it. Returns numId."""
    numbering = document.part.numbering_part.element
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), "90")
    for level in (0, 1):
        lvl = OxmlElement("w:lvl")
        lvl.set(qn("w:ilvl"), str(level))
        for tag, value in (("w:numFmt", "bullet"), ("w:lvlText", "•")):
            element = OxmlElement(tag)
            element.set(qn("w:val"), value)
            lvl.append(element)
        abstract.append(lvl)
    numbering.insert(0, abstract)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), "90")
    abstract_id = OxmlElement("w:abstractNumId")
    abstract_id.set(qn("w:val"), "90")
    num.append(abstract_id)
    numbering.append(num)
    return 90


def _bullet(document: docx.document.Document, text: str, *, num_id: int, level: int) -> None:
    paragraph = document.add_paragraph(text, style="List Paragraph")
    num_pr = OxmlElement("w:numPr")
    for tag, value in (("w:ilvl", level), ("w:numId", num_id)):
        element = OxmlElement(tag)
        element.set(qn("w:val"), str(value))
        num_pr.append(element)
    paragraph._p.get_or_add_pPr().append(num_pr)


def _docx_bytes(*, title: str = "") -> bytes:
    document = docx.Document()
    document.core_properties.title = title
    num_id = _multilevel_bullets(document)
    document.add_paragraph("Prepared for the consultation.")
    document.add_heading("Introduction", level=1)
    document.add_paragraph("The toolkit supports responsible AI innovation.")
    document.add_paragraph("")
    _bullet(document, "Lawfulness", num_id=num_id, level=0)
    _bullet(document, "Necessity and proportionality", num_id=num_id, level=1)
    _bullet(document, "Fairness", num_id=num_id, level=0)
    document.add_heading("Scope", level=2)
    document.add_paragraph("Table 1: Principles", style="Caption")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, (("Principle", "Kind"), ("Lawfulness", "Core")), strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_heading("Risk assessment", level=1)
    document.add_paragraph("Assess each risk.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _odt_bytes() -> bytes:
    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text="Toolkit for Responsible AI Innovation"))
    caption = Style(name="Caption", family="paragraph")
    document.styles.addElement(caption)
    document.text.addElement(P(text="Prepared for the consultation."))
    document.text.addElement(H(outlinelevel=1, text="Introduction"))
    document.text.addElement(P(text="The toolkit supports responsible AI innovation."))
    document.text.addElement(P(text=""))
    bullets = List()
    first = ListItem()
    first.addElement(P(text="Lawfulness"))
    nested = List()
    nested_item = ListItem()
    nested_item.addElement(P(text="Necessity and proportionality"))
    nested.addElement(nested_item)
    first.addElement(nested)
    bullets.addElement(first)
    second = ListItem()
    second.addElement(P(text="Fairness"))
    bullets.addElement(second)
    document.text.addElement(bullets)
    document.text.addElement(H(outlinelevel=2, text="Scope"))
    document.text.addElement(P(stylename=caption, text="Table 1: Principles"))
    table = Table(name="Principles")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for cells in (("Principle", "Kind"), ("Lawfulness", "Core")):
        row = TableRow()
        for text in cells:
            cell = TableCell()
            cell.addElement(P(text=text))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    document.text.addElement(H(outlinelevel=1, text="Risk assessment"))
    document.text.addElement(P(text="Assess each risk."))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


MARKDOWN = """\
Prepared for the consultation.

# Introduction

The toolkit supports responsible AI innovation.

- Lawfulness
    - Necessity and proportionality
- Fairness

## Scope

| Principle  | Kind |
|------------|------|
| Lawfulness | Core |

: Table 1: Principles

# Risk assessment

Assess each risk.
"""

HTML = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Toolkit for Responsible AI Innovation</title></head>
<body>
<p>Prepared for the consultation.</p>
<h1>Introduction</h1>
<p>The toolkit supports <em>responsible</em> AI innovation.</p>
<p>   </p>
<ul><li>Lawfulness<ul><li>Necessity and proportionality</li></ul></li><li>Fairness</li></ul>
<h2>Scope</h2>
<table><caption>Table 1: Principles</caption>
<thead><tr><th>Principle</th><th>Kind</th></tr></thead>
<tbody><tr><td>Lawfulness</td><td>Core</td></tr></tbody></table>
<h1>Risk assessment</h1>
<p>Assess each risk.</p>
</body></html>
"""


def _replace_in_zip(data: bytes, name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            target.writestr(entry, content if entry.filename == name else source.read(entry.filename))
    return buffer.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>
<w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""


def _words(count: int) -> str:
    rng = random.Random(13)
    vocabulary = [
        "assessment",
        "oversight",
        "proportionality",
        "accountability",
        "data",
        "model",
        "risk",
        "law",
    ]
    return " ".join(rng.choice(vocabulary) for _ in range(count))


# What each format gives.


def test_docx_draft_becomes_numbered_sections_with_lists_tables_and_captions() -> None:
    draft = read_draft(_docx_bytes(title="Toolkit for Responsible AI Innovation"), filename="toolkit.docx")

    assert draft.title == "Toolkit for Responsible AI Innovation"
    assert draft.sections == EXPECTED_SECTIONS
    assert draft.paragraph_count() == 9


def test_odt_draft_becomes_the_same_sections_as_the_docx() -> None:
    draft = read_draft(io.BytesIO(_odt_bytes()), filename="toolkit.odt")

    assert draft.title == "Toolkit for Responsible AI Innovation"
    assert draft.sections == EXPECTED_SECTIONS


def test_markdown_draft_becomes_the_same_sections_as_the_docx() -> None:
    draft = read_draft(MARKDOWN.encode(), filename="toolkit.md")

    assert draft.sections == EXPECTED_SECTIONS
    # No metadata title: the first level-1 heading names the draft.
    assert draft.title == "Introduction"


def test_html_draft_becomes_the_same_sections_as_the_docx() -> None:
    draft = read_draft(HTML.encode(), filename="Toolkit.HTM")

    assert draft.title == "Toolkit for Responsible AI Innovation"
    assert draft.sections == EXPECTED_SECTIONS


def test_quotes_code_and_footnotes_keep_their_kind_and_text() -> None:
    markdown = '# Terms\n\nA "term" defined.[^1]\n\n> A quoted passage.\n\n```\nrisk = impact * likelihood\n```\n\n[^1]: As in ISO 31000.\n'

    (section,) = read_draft(markdown.encode(), filename="terms.markdown").sections

    assert section.blocks == (
        Block("paragraph", "A “term” defined. [As in ISO 31000.]"),
        Block("quote", "A quoted passage."),
        Block("code", "risk = impact * likelihood"),
    )


def test_headings_deeper_than_level_three_fold_into_their_section_as_paragraphs() -> None:
    markdown = "# A\n\n## B\n\n### C\n\nc text\n\n#### D\n\nd text\n\n## E\n"

    sections = read_draft(markdown.encode(), filename="deep.md").sections

    assert [(section.number, section.heading) for section in sections] == [
        ("1", "A"),
        ("1.1", "B"),
        ("1.1.1", "C"),
        ("1.2", "E"),
    ]
    assert sections[2].blocks == (
        Block("paragraph", "c text"),
        Block("paragraph", "D"),
        Block("paragraph", "d text"),
    )


def test_a_skipped_heading_level_nests_one_step_and_never_numbers_a_zero() -> None:
    markdown = "## Starts at two\n\ntext\n\n#### Jumps to four\n\nmore\n\n# One\n"

    sections = read_draft(markdown.encode(), filename="skips.md").sections

    assert [(section.number, section.level) for section in sections] == [("1", 1), ("1.1", 2), ("2", 1)]


def test_a_draft_without_title_or_level_one_heading_is_named_after_its_file() -> None:
    draft = read_draft(b"## Only a subsection\n\ntext\n", filename="uploads/annex-b.md")

    assert draft.title == "annex-b"
    assert draft.sections == (Section("1", "Only a subsection", 1, (Block("paragraph", "text"),)),)


def test_paragraph_label_names_section_and_paragraph() -> None:
    assert paragraph_label("3.2", 4) == "3.2 ¶4"
    assert paragraph_label("0", 1) == "0 ¶1"


# Hostile or broken files: each refused with a code and a message that says what is wrong.


def _refusal(data: bytes, filename: str) -> DraftError:
    with pytest.raises(DraftError) as caught:
        read_draft(data, filename=filename)
    return caught.value


def test_a_docx_that_is_really_html_is_refused_as_another_type() -> None:
    error = _refusal(HTML.encode(), "toolkit.docx")

    assert error.code == "wrong_type"
    assert "Word document (.docx)" in error.message
    assert "really an HTML or XML text" in error.message


def test_a_docx_that_is_really_a_pdf_is_refused_as_another_type() -> None:
    error = _refusal(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "toolkit.docx")

    assert error.code == "wrong_type"
    assert "really a PDF document" in error.message


def test_an_odt_renamed_to_docx_is_refused_as_another_type() -> None:
    error = _refusal(_odt_bytes(), "toolkit.docx")

    assert error.code == "wrong_type"


def test_a_docx_renamed_to_odt_is_refused_for_its_missing_opendocument_mimetype() -> None:
    error = _refusal(_docx_bytes(), "toolkit.odt")

    assert error.code == "wrong_type"
    assert "OpenDocument text (.odt)" in error.message


def test_a_pdf_named_markdown_is_refused_as_another_type() -> None:
    error = _refusal(b"%PDF-1.4 binary", "toolkit.md")

    assert error.code == "wrong_type"
    assert "Markdown" in error.message


def test_an_unsupported_file_ending_is_refused_with_the_formats_accepted() -> None:
    error = _refusal(b"%PDF-1.4", "toolkit.pdf")

    assert error.code == "unsupported"
    assert ".docx" in error.message
    assert "“toolkit.pdf”" in error.message


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_unpacked() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (drafts.MAX_ZIP_ENTRY_BYTES + 1))

    error = _refusal(buffer.getvalue(), "bomb.docx")

    assert len(buffer.getvalue()) < 200_000
    assert error.code == "zip_bomb"
    assert "zip bomb" in error.message


def test_an_entry_that_compresses_a_thousand_times_is_refused_as_a_zip_bomb() -> None:
    data = _replace_in_zip(_docx_bytes(), "word/document.xml", b" " * 2_000_000)

    assert _refusal(data, "bomb.docx").code == "zip_bomb"


def test_an_archive_of_too_many_entries_is_refused_as_a_zip_bomb() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(drafts.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"media/{number}.xml", "")

    assert _refusal(buffer.getvalue(), "many.docx").code == "zip_bomb"


def test_billion_laughs_inside_a_docx_is_refused_before_conversion() -> None:
    data = _replace_in_zip(_docx_bytes(), "word/document.xml", BILLION_LAUGHS)

    error = _refusal(data, "laughs.docx")

    assert error.code == "entities"
    assert "XML entities" in error.message


def test_billion_laughs_inside_an_odt_is_refused_before_conversion() -> None:
    data = _replace_in_zip(_odt_bytes(), "content.xml", BILLION_LAUGHS)

    assert _refusal(data, "laughs.odt").code == "entities"


def test_doctype_entities_in_html_are_refused() -> None:
    hostile = BILLION_LAUGHS.replace(b"lolz", b"html").replace(b"w:", b"")

    assert _refusal(hostile, "laughs.html").code == "entities"


def test_fifty_megabytes_of_markdown_is_refused_by_its_size() -> None:
    error = _refusal(("# Big\n\n" + "word " * 10_000_000).encode(), "big.md")

    assert error.code == "too_large"
    assert "20 MB" in error.message


def test_a_small_docx_holding_too_much_text_is_refused_before_conversion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = docx.Document()
    document.add_heading("Everything", level=1)
    for _ in range(60):
        document.add_paragraph(_words(2_000))
    buffer = io.BytesIO()
    document.save(buffer)
    monkeypatch.setattr(drafts, "MAX_TEXT_CHARS", 500_000)
    # pandoc must not be started: the check from the zip is enough.
    monkeypatch.setattr(drafts, "_convert", lambda *args, **kwargs: pytest.fail("converted"))

    error = _refusal(buffer.getvalue(), "long.docx")

    assert error.code == "too_much_text"
    assert "500,000 characters" in error.message


def test_markdown_over_the_text_limit_is_refused_as_too_much_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drafts, "MAX_TEXT_CHARS", 1_000)

    assert read_draft(("# A\n\n" + _words(100)).encode(), filename="fits.md").paragraph_count() == 1
    assert _refusal(("# A\n\n" + _words(200)).encode(), "long.md").code == "too_much_text"


def test_a_draft_without_headings_is_refused_with_how_to_add_them() -> None:
    document = docx.Document()
    document.add_paragraph("Just text.")
    document.add_paragraph("More text.")
    buffer = io.BytesIO()
    document.save(buffer)

    for data, filename in ((buffer.getvalue(), "flat.docx"), (b"Just text.\n\nMore.\n", "flat.md")):
        error = _refusal(data, filename)
        assert error.code == "no_headings"
        assert "Heading 1" in error.message
        assert "#" in error.message


def test_an_empty_file_is_refused_as_empty() -> None:
    for filename in ("empty.docx", "empty.md", "empty.html"):
        error = _refusal(b"", filename)
        assert error.code == "empty"
        assert "empty" in error.message
    assert _refusal(b"  \n\n", "blank.md").code == "empty"


def test_markdown_that_is_not_utf8_is_refused_asking_for_utf8() -> None:
    error = _refusal("# Café\n\nDéjà vu.".encode("latin-1"), "draft.md")

    assert error.code == "not_utf8"
    assert "UTF-8" in error.message


def test_a_corrupt_or_truncated_zip_is_refused_as_damaged() -> None:
    whole = _docx_bytes()

    for data in (b"PK\x03\x04" + b"garbage" * 100, whole[: len(whole) // 2]):
        error = _refusal(data, "broken.docx")
        assert error.code == "corrupt"
        assert "damaged" in error.message


def test_a_damaged_document_part_is_refused_as_damaged() -> None:
    data = _replace_in_zip(_docx_bytes(), "word/document.xml", b"<w:document><w:body><w:p>")

    assert _refusal(data, "broken.docx").code == "corrupt"


def test_a_converter_that_runs_too_long_is_stopped_and_the_draft_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    slow = tmp_path / "pandoc"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(drafts, "_pandoc", lambda: str(slow))
    monkeypatch.setattr(drafts, "CONVERT_TIMEOUT_SECONDS", 1)

    error = _refusal(MARKDOWN.encode(), "slow.md")

    assert error.code == "timeout"
    assert "1 seconds" in error.message


def test_a_converter_over_its_memory_cap_is_stopped_and_the_draft_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = docx.Document()
    document.add_heading("Everything", level=1)
    for _ in range(300):
        document.add_paragraph(_words(200))
    buffer = io.BytesIO()
    document.save(buffer)
    monkeypatch.setattr(drafts, "CONVERT_MEMORY", "20m")

    error = _refusal(buffer.getvalue(), "hungry.docx")

    assert error.code == "too_large"
    assert "memory" in error.message
