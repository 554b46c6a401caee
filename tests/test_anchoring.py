"""Re-anchoring comments in a new version of a draft, and the redline between versions (no database)."""

import random
import time
from collections import Counter
from dataclasses import replace

from feedback.organising.anchoring import (
    DEFAULT_THRESHOLD,
    Anchor,
    Paragraph,
    inline_diff,
    normalise,
    quote_context,
    reanchor,
    reanchor_all,
    redline,
    redline_by_section,
)
from feedback.organising.anchoring import _origins as origins

SUBJECTS = [
    "The agency",
    "Each investigator",
    "The oversight board",
    "A data protection officer",
    "The procurement team",
    "Every deployment",
    "The vendor",
    "An independent auditor",
    "The chief of police",
    "The review committee",
    "Frontline officers",
    "The legal adviser",
]
VERBS = ["should document", "must assess", "shall publish", "may review", "will monitor", "ought to explain"]
WORDS = """
    risks facial recognition training data collected accuracy model complaints public purpose system accountable
    errors retention period images bias predictive policing results field trials limits automated decisions
    evidence court warrant suspects victims witnesses privacy consent transparency audit logs vendors contracts
    procurement budget staff skills oversight human review appeal redress harm minors border airports borders
    cameras drones licence plates biometric voice fingerprints databases sharing partners foreign agencies
    encryption breach notification deletion accuracy thresholds false matches watchlists alerts patrols
    neighbourhoods communities trust legitimacy proportionality necessity legality lawful grounds safeguards
    documentation impact assessment readiness maturity principles roadmap pilot evaluation metrics reporting
"""
VOCABULARY = WORDS.split()


def sentence(rng: random.Random, label: str) -> str:
    words = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randrange(6, 11)))
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {words} ({label}, ref {rng.randrange(10**6)})."


def reword(text: str, rng: random.Random) -> str:
    """text with every fourth word swapped for another, as an editor tightening a sentence might."""
    words = text.split(" ")
    return " ".join(rng.choice(VOCABULARY) if n % 4 == 3 else w for n, w in enumerate(words))


def make_document(sections: int, paragraphs: int, seed: int = 1) -> list[Paragraph]:
    """sections x paragraphs numbered paragraphs of two or three varied sentences each."""
    rng = random.Random(seed)
    document = []
    for s in range(1, sections + 1):
        for n in range(1, paragraphs + 1):
            text = " ".join(sentence(rng, f"item {s}.{n}.{k}") for k in range(rng.choice([2, 3])))
            document.append(Paragraph(key=(s, n), section=str(s), number=n, text=text))
    return document


def renumber(document: list[Paragraph]) -> list[Paragraph]:
    """The document as an import numbers it: paragraphs counted from 1 within each section, new keys."""
    counts: dict[str, int] = {}
    result = []
    for p in document:
        counts[p.section] = counts.get(p.section, 0) + 1
        result.append(
            Paragraph(
                key=("v2", p.section, counts[p.section]),
                section=p.section,
                number=counts[p.section],
                text=p.text,
            )
        )
    return result


def at(document: list[Paragraph], section: str, number: int) -> Paragraph:
    return next(p for p in document if p.section == section and p.number == number)


def passage_anchor(paragraph: Paragraph, quote: str, occurrence: int = 0) -> Anchor:
    """The anchor the comment form stores for the occurrence-th copy of quote in paragraph."""
    start = -1
    for _ in range(occurrence + 1):
        start = paragraph.text.index(quote, start + 1)
    prefix, quote, suffix = quote_context(paragraph.text, start, start + len(quote))
    return Anchor(paragraph.section, paragraph.number, paragraph.text, quote, prefix, suffix)


def paragraph_anchor(paragraph: Paragraph) -> Anchor:
    return Anchor(paragraph.section, paragraph.number, paragraph.text)


def first_sentence(paragraph: Paragraph) -> str:
    return paragraph.text.split(").")[0] + ")."


def test_a_passage_in_an_unchanged_document_is_found_exactly_where_it_was():
    document = make_document(4, 6)
    target = at(document, "2", 3)
    quote = first_sentence(target)

    placement = reanchor(passage_anchor(target, quote), document)

    assert placement.status == "exact"
    assert placement.score == 1.0
    assert placement.paragraph == target
    assert target.text[placement.start : placement.end] == quote


def test_a_passage_is_found_exactly_after_paragraphs_are_inserted_before_it():
    old = make_document(4, 6)
    target = at(old, "2", 3)
    inserted = [Paragraph(None, "2", 0, f"A new paragraph {k} about procurement rules.") for k in range(3)]
    new = renumber(old[:6] + inserted + old[6:])
    quote = first_sentence(target)

    placement = reanchor(passage_anchor(target, quote), new)

    assert placement.status == "exact"
    assert (placement.paragraph.section, placement.paragraph.number) == ("2", 6)
    assert placement.paragraph.text[placement.start : placement.end] == quote


def test_a_paragraph_moved_to_another_section_is_still_found_exactly_in_its_new_section():
    old = make_document(4, 6)
    target = at(old, "1", 2)
    rest = [p for p in old if p != target]
    new = renumber(rest + [replace(target, section="4")])

    passage = reanchor(passage_anchor(target, first_sentence(target)), new)
    whole = reanchor(paragraph_anchor(target), new)

    for placement in (passage, whole):
        assert placement.status == "exact"
        assert placement.section == "4"
        assert (placement.paragraph.section, placement.paragraph.number) == ("4", 7)
    assert whole.start is None and whole.end is None


def test_whitespace_and_typographic_quotes_do_not_break_an_exact_match_and_offsets_are_in_the_real_text():
    old = Paragraph(1, "1", 1, 'Officers should record the "reason" for each search - always.')
    new = Paragraph(
        2, "1", 1, "Officers  should\nrecord the \u201creason\u201d for each search \u2013 always."
    )
    anchor = passage_anchor(old, 'record the "reason" for each search - always')

    placement = reanchor(anchor, [new])

    assert placement.status == "exact"
    assert (
        new.text[placement.start : placement.end]
        == "record the \u201creason\u201d for each search \u2013 always"
    )


def test_a_reworded_passage_is_found_approximately_with_a_score_between_the_threshold_and_one():
    old = make_document(3, 5)
    target = at(old, "3", 4)
    quote = first_sentence(target)
    reworded = reword(quote, random.Random(2))
    new = [replace(p, text=p.text.replace(quote, reworded)) if p == target else p for p in old]

    placement = reanchor(passage_anchor(target, quote), new)

    assert placement.status == "approximate"
    assert DEFAULT_THRESHOLD <= placement.score < 1
    assert (placement.paragraph.section, placement.paragraph.number) == ("3", 4)
    # The span found is the reworded sentence, give or take its closing punctuation.
    assert placement.start == 0
    assert len(reworded) - 3 <= placement.end <= len(reworded)


def test_a_reworded_paragraph_is_found_approximately():
    old = make_document(3, 5)
    target = at(old, "2", 2)
    new = [
        replace(p, text=p.text.replace("the", "this", 2) + " Added a closing remark.") if p == target else p
        for p in old
    ]

    placement = reanchor(paragraph_anchor(target), new)

    assert placement.status == "approximate"
    assert DEFAULT_THRESHOLD <= placement.score < 1
    assert (placement.paragraph.section, placement.paragraph.number) == ("2", 2)


def test_a_deleted_passage_is_orphaned():
    old = make_document(3, 5)
    target = at(old, "2", 2)
    new = renumber([p for p in old if p != target])

    passage = reanchor(passage_anchor(target, first_sentence(target)), new)
    whole = reanchor(paragraph_anchor(target), new)

    for placement in (passage, whole):
        assert placement.status == "orphaned"
        assert placement.paragraph is None and placement.score == 0.0


def test_a_quote_that_occurs_twice_is_told_apart_by_its_context():
    text = (
        "Officers must keep a log of each use. The supervisor checks the log weekly. "
        "Vendors must keep a log of each use. The regulator checks the log yearly."
    )
    old = Paragraph(1, "1", 1, text)
    new = Paragraph(2, "1", 1, "A new opening sentence. " + text)

    first = reanchor(passage_anchor(old, "keep a log of each use", 0), [new])
    second = reanchor(passage_anchor(old, "keep a log of each use", 1), [new])

    assert (first.status, second.status) == ("exact", "exact")
    assert new.text[: first.start].endswith("Officers must ")
    assert new.text[: second.start].endswith("Vendors must ")


def test_a_quote_that_occurs_in_two_paragraphs_is_told_apart_by_its_context():
    shared = "the model shall be retested"
    old = [
        Paragraph(1, "1", 1, f"After any update to the software, {shared} by the vendor."),
        Paragraph(2, "1", 2, f"When complaints rise above ten a month, {shared} by an auditor."),
    ]
    new = [Paragraph(3, "1", 1, "A new first paragraph."), *(replace(p, number=p.number + 1) for p in old)]

    placement = reanchor(passage_anchor(old[1], shared), new)

    assert placement.status == "exact"
    assert placement.paragraph.key == 2


def test_a_short_quote_found_only_in_an_unrelated_paragraph_is_not_an_exact_match():
    old = Paragraph(1, "1", 1, "Record every stop in the register.")
    new = [Paragraph(2, "2", 5, "An unrelated paragraph on stop and search powers.")]

    placement = reanchor(passage_anchor(old, "stop"), new)

    assert placement.status != "exact"


def test_a_section_comment_finds_its_section_by_number_or_by_its_text_after_renumbering():
    old = make_document(4, 3)
    section_3 = " ".join(p.text for p in old if p.section == "3")
    shifted = [replace(p, section=str(int(p.section) + 1)) for p in old if p.section != "1"]
    new = [Paragraph(0, "1", 1, "A new introduction.")] + shifted

    by_number = reanchor(Anchor("3", None, ""), old)
    by_text = reanchor(Anchor("3", None, section_3), new)
    gone = reanchor(Anchor("9", None, ""), old)

    assert (by_number.status, by_number.section, by_number.paragraph) == ("exact", "3", None)
    assert (by_text.status, by_text.section) == ("exact", "4")
    assert gone.status == "orphaned"


def test_reanchor_all_gives_each_comment_its_own_placement():
    old = make_document(3, 4)
    target = at(old, "1", 1)
    new = renumber([p for p in old if p != target])
    anchors = {"kept": paragraph_anchor(at(old, "2", 2)), "deleted": paragraph_anchor(target)}

    placements = reanchor_all(anchors, new)

    assert placements["kept"].status == "exact"
    assert placements["deleted"].status == "orphaned"


def test_a_span_of_the_normalised_text_maps_back_to_the_real_text_it_came_from():
    rng = random.Random(7)
    alphabet = ["a", "b", " ", "\n", "\t", "\u00a0", "\u2019", "\u2014", "\u00ad", "\u200b", "."]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))
        norm, origin = normalise(text), origins(text)
        assert len(origin) == len(norm)
        if norm:
            start = rng.randrange(len(norm))
            end = rng.randrange(start, len(norm)) + 1
            real_start, real_end = origin[start], origin[end - 1] + 1
            assert normalise(text[real_start:real_end]) == norm[start:end].strip()


def test_the_redline_tells_same_added_removed_changed_and_moved_paragraphs_apart():
    old = make_document(3, 4)
    removed = at(old, "1", 3)
    moved = at(old, "1", 2)
    changed = at(old, "2", 2)
    added = Paragraph(None, "3", 0, "A wholly new paragraph on redress for people wrongly identified.")
    edit = changed.text.replace("(item", "(amended item", 1)
    body = [p for p in old if p not in (removed, moved)]
    body = [replace(p, text=edit) if p == changed else p for p in body]
    body.insert(body.index(at(old, "3", 2)), added)
    new = renumber(body + [replace(moved, section="3")])

    changes = redline(old, new)
    kinds = Counter(c.kind for c in changes)

    assert kinds == {"same": 9, "added": 1, "removed": 1, "changed": 1, "moved": 1}
    assert [c.old for c in changes if c.kind == "removed"] == [removed]
    assert [(c.old, c.new.section) for c in changes if c.kind == "moved"] == [(moved, "3")]
    assert [c.new.text for c in changes if c.kind == "added"] == [added.text]
    # Removed ones are placed where they were: between the paragraphs around them in the old text.
    order = [c.old.key if c.old else c.new.key for c in changes]
    assert order.index(removed.key) == order.index((1, 4)) - 1
    assert [c.new.section for c in changes if c.new] == [p.section for p in new]


def test_a_changed_paragraph_carries_its_word_diff():
    old = [Paragraph(1, "1", 1, "The board shall review the policy every year before deployment.")]
    new = [
        Paragraph(2, "1", 1, "The independent board shall revise the policy every year before deployment.")
    ]

    [change] = redline(old, new)

    assert change.kind == "changed"
    assert change.inline == (
        ("equal", "The "),
        ("insert", "independent "),
        ("equal", "board shall "),
        ("delete", "review"),
        ("insert", "revise"),
        ("equal", " the policy every year before deployment."),
    )


def test_the_word_diff_rebuilds_both_texts():
    old, new = (
        "Officers may use it rarely, if at all.",
        "Officers \u2014 all of them \u2014 may never use it at all!",
    )

    ops = inline_diff(old, new)

    assert "".join(t for op, t in ops if op != "insert") == old
    assert "".join(t for op, t in ops if op != "delete") == new


def test_the_redline_by_section_groups_under_new_numbers_and_keeps_removed_ones_with_their_section():
    old = make_document(3, 2)
    gone = at(old, "2", 1)
    new = [p for p in old if p != gone] + [Paragraph(None, "4", 1, "A new section on redress.")]

    groups = redline_by_section(old, new)

    assert list(groups) == ["1", "2", "3", "4"]
    assert [c.kind for c in groups["2"]] == ["removed", "same"]
    assert [c.kind for c in groups["4"]] == ["added"]


def test_renumbered_sections_are_the_same_paragraphs_not_moves():
    old = make_document(3, 2)
    new = [Paragraph(None, "1", 1, "A new first section.")] + [
        replace(p, section=str(int(p.section) + 1)) for p in old
    ]

    kinds = Counter(c.kind for c in redline(old, new))

    assert kinds == {"added": 1, "same": 6}


def test_three_hundred_anchors_in_two_thousand_paragraphs_take_under_two_seconds():
    old = make_document(100, 20, seed=3)
    rng = random.Random(5)
    targets = rng.sample(old, 300)
    reworded, deleted = set(targets[:100]), set(targets[100:150])
    new = []
    for p in old:
        if p in reworded:
            new.append(replace(p, text=p.text.replace(first_sentence(p), reword(first_sentence(p), rng))))
        elif p not in deleted:
            new.append(p)
    new = renumber(
        new[:500] + [Paragraph(None, "26", 0, f"Inserted paragraph {k}.") for k in range(40)] + new[500:]
    )
    anchors = {
        n: paragraph_anchor(p) if n % 3 == 0 else passage_anchor(p, first_sentence(p))
        for n, p in enumerate(targets)
    }

    # CPU time of this process: what the code costs, not how busy the machine's other processes keep its cores.
    started = time.process_time()
    placements = reanchor_all(anchors, new)
    reanchored = time.process_time() - started
    started = time.process_time()
    changes = redline(old, new)
    redlined = time.process_time() - started

    assert Counter(p.status for p in placements.values()) == {
        "exact": 150,
        "approximate": 100,
        "orphaned": 50,
    }
    assert Counter(c.kind for c in changes) == {"same": 1850, "changed": 100, "removed": 50, "added": 40}
    assert reanchored < 2.0, reanchored
    assert redlined < 2.0, redlined
