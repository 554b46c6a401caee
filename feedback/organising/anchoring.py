"""Finding comments again in a new version of a draft, and the redline between two versions.

Pure functions over paragraphs (no database): callers load a version's paragraphs and store the placements.
"""

import math
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

EXACT = "exact"
APPROXIMATE = "approximate"
ORPHANED = "orphaned"

# Below this, a fuzzy match is more likely a different passage than the commented one reworded.
DEFAULT_THRESHOLD = 0.6
# A quote this short found verbatim elsewhere, with no agreeing context, is a coincidence, not the passage.
SHORT_QUOTE = 12
# Paragraphs fuzzy-compared per anchor: the most likely by rare shared words, so the cost does not grow with
# the length of the document.
CANDIDATES = 6
# Of those, the paragraphs in which a passage is aligned word by word (the slow step).
ALIGNED = 3
# Words per anchor used to look up candidates; the rarest say the most and have the shortest posting lists.
QUERY_WORDS = 16
# Paragraphs at least this alike are "changed" rather than one removed and another added.
CHANGED_MIN = 0.5
# An out-of-place paragraph at least this alike to a removed one is that paragraph moved (and touched up).
MOVED_MIN = 0.9


@dataclass(frozen=True)
class Paragraph:
    """One numbered paragraph of a resource version."""

    key: object
    section: str
    number: int
    text: str


@dataclass(frozen=True)
class Anchor:
    """Where a comment pointed in the old version.

    A section comment has no number; its paragraph_text may hold the section's text (paragraphs joined), which
    lets it be found after the sections are renumbered.
    """

    section: str
    number: int | None
    paragraph_text: str
    quote: str = ""
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Placement:
    """Where an anchor landed in the new version; section is set for every placement that is not orphaned."""

    status: str
    paragraph: Paragraph | None
    start: int | None
    end: int | None
    score: float
    section: str | None = None


@dataclass(frozen=True)
class Change:
    """One paragraph's fate between two versions; inline holds the word diff of a changed paragraph."""

    kind: str
    old: Paragraph | None
    new: Paragraph | None
    inline: tuple[tuple[str, str], ...] = ()


ORPHAN = Placement(ORPHANED, None, None, None, 0.0)

# Typographic variants an editor or a word processor swaps in without changing the meaning.
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space, non-joiner, joiner, word joiner, byte-order mark
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def normalise(text: str) -> str:
    """The text as compared: typographic quotes and dashes folded, whitespace collapsed and trimmed."""
    return _SPACE.sub(" ", text.translate(_FOLD)).strip()


def _origins(text: str) -> list[int]:
    """For each character of normalise(text), the index in text it came from (same rules, one char at a time)."""
    origin: list[int] = []
    pending_space = -1
    for i, char in enumerate(text):
        folded = char.translate(_FOLD)
        if not folded:
            continue
        if folded.isspace():
            if pending_space < 0:
                pending_space = i
            continue
        if pending_space >= 0 and origin:
            origin.append(pending_space)
        pending_space = -1
        origin.extend([i] * len(folded))
    return origin


def _real_span(text: str, start: int, end: int) -> tuple[int, int]:
    origin = _origins(text)
    return origin[start], origin[end - 1] + 1


def quote_context(text: str, start: int, end: int, width: int = 32) -> tuple[str, str, str]:
    """The (prefix, quote, suffix) to store with a comment on text[start:end]."""
    return text[max(0, start - width) : start], text[start:end], text[end : end + width]


def _bare(text: str) -> str:
    return normalise(text).replace(" ", "")


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _ratio(a: Sequence, b: Sequence) -> float:
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


class _Index:
    """A version's paragraphs prepared once for many anchors."""

    def __init__(self, paragraphs: Sequence[Paragraph]) -> None:
        self.paragraphs = list(paragraphs)
        self.norm = [normalise(p.text) for p in self.paragraphs]
        # Normalised text never holds a newline, so one can join paragraphs without a false match across two.
        self.joined = "\n".join(self.norm)
        self.starts: list[int] = []
        offset = 0
        for text in self.norm:
            self.starts.append(offset)
            offset += len(text) + 1
        self.by_position = {(p.section, p.number): i for i, p in enumerate(self.paragraphs)}
        self.by_text: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(self.norm):
            self.by_text[text].append(i)
        self.words = [_words(text) for text in self.norm]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, words in enumerate(self.words):
            for word in set(words):
                self.postings[word].append(i)
        self.sections: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(self.paragraphs):
            self.sections[p.section].append(i)
        self._section_words: dict[str, list[str]] = {}

    def section_words(self, section: str) -> list[str]:
        if section not in self._section_words:
            self._section_words[section] = [w for i in self.sections[section] for w in self.words[i]]
        return self._section_words[section]

    def likely(self, words: Sequence[str], limit: int = CANDIDATES) -> list[int]:
        """The paragraphs sharing the most (rarest-weighted) words with words."""
        total = len(self.paragraphs)
        known = sorted((w for w in set(words) if w in self.postings), key=lambda w: len(self.postings[w]))
        scores: Counter[int] = Counter()
        for word in known[:QUERY_WORDS]:
            weight = math.log(1 + total / len(self.postings[word]))
            for i in self.postings[word]:
                scores[i] += weight
        return [i for i, _ in scores.most_common(limit)]

    def occurrences(self, quote: str, limit: int = 500) -> list[tuple[int, int]]:
        """(paragraph index, offset in its normalised text) of each verbatim occurrence of quote."""
        found = []
        pos = self.joined.find(quote)
        while pos >= 0 and len(found) < limit:
            i = bisect_right(self.starts, pos) - 1
            found.append((i, pos - self.starts[i]))
            pos = self.joined.find(quote, pos + 1)
        return found


def reanchor(
    anchor: Anchor, paragraphs: Sequence[Paragraph], *, threshold: float = DEFAULT_THRESHOLD
) -> Placement:
    """Where anchor's passage, paragraph or section is in paragraphs (the new version)."""
    return _reanchor(anchor, _Index(paragraphs), threshold)


def reanchor_all(
    anchors: Mapping[K, Anchor], paragraphs: Sequence[Paragraph], *, threshold: float = DEFAULT_THRESHOLD
) -> dict[K, Placement]:
    """reanchor for many anchors against one version, which is indexed once."""
    index = _Index(paragraphs)
    return {key: _reanchor(anchor, index, threshold) for key, anchor in anchors.items()}


def _reanchor(anchor: Anchor, index: _Index, threshold: float) -> Placement:
    if normalise(anchor.quote):
        return _place_quote(anchor, index, threshold)
    if anchor.number is None:
        return _place_section(anchor, index, threshold)
    return _place_paragraph(anchor, index, threshold)


def _placed(status: str, index: _Index, i: int, span: tuple[int, int] | None, score: float) -> Placement:
    paragraph = index.paragraphs[i]
    start, end = _real_span(paragraph.text, *span) if span else (None, None)
    return Placement(status, paragraph, start, end, score, paragraph.section)


def _place_section(anchor: Anchor, index: _Index, threshold: float) -> Placement:
    text = normalise(anchor.paragraph_text)
    if not text:
        if anchor.section in index.sections:
            return Placement(EXACT, None, None, None, 1.0, anchor.section)
        return ORPHAN
    words = _words(text)
    # Scoring whole sections: the ones holding the paragraphs most like the old section's text.
    candidates = {anchor.section} & index.sections.keys()
    candidates |= {index.paragraphs[i].section for i in index.likely(words)}
    best, best_score = None, 0.0
    for section in sorted(candidates, key=lambda s: s != anchor.section):
        if " ".join(index.norm[i] for i in index.sections[section]) == text:
            return Placement(EXACT, None, None, None, 1.0, section)
        score = _ratio(words, index.section_words(section))
        if score > best_score:
            best, best_score = section, score
    if best is not None and best_score >= threshold:
        return Placement(APPROXIMATE, None, None, None, round(best_score, 3), best)
    return ORPHAN


def _place_paragraph(anchor: Anchor, index: _Index, threshold: float) -> Placement:
    text = normalise(anchor.paragraph_text)
    same = index.by_position.get((anchor.section, anchor.number))
    identical = index.by_text.get(text, [])
    if identical:
        # The paragraph kept its place if it can; otherwise the first copy in the document.
        i = same if same in identical else identical[0]
        return _placed(EXACT, index, i, None, 1.0)
    words = _words(text)
    candidates = index.likely(words)
    if same is not None and same not in candidates:
        candidates.append(same)
    best, best_score = None, 0.0
    for i in candidates:
        matcher = SequenceMatcher(None, words, index.words[i], autojunk=False)
        if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
            continue
        score = matcher.ratio() + (0.01 if i == same else 0.0)
        if score > best_score:
            best, best_score = i, score
    if best is not None and best_score >= threshold:
        return _placed(APPROXIMATE, index, best, None, round(min(best_score, 0.999), 3))
    return ORPHAN


def _place_quote(anchor: Anchor, index: _Index, threshold: float) -> Placement:
    quote = normalise(anchor.quote)
    prefix, suffix = _bare(anchor.prefix), _bare(anchor.suffix)
    old_text = normalise(anchor.paragraph_text)
    same = index.by_position.get((anchor.section, anchor.number))
    best, best_rank = None, -1.0
    for i, at in index.occurrences(quote):
        text = index.norm[i]
        before = text[max(0, at - 2 * len(anchor.prefix) - 8) : at].replace(" ", "")
        after = text[at + len(quote) : at + len(quote) + 2 * len(anchor.suffix) + 8].replace(" ", "")
        context = _common_prefix(prefix[::-1], before[::-1]) + _common_prefix(suffix, after)
        same_text = bool(old_text) and text == old_text
        if len(quote) < SHORT_QUOTE and context < 4 and not same_text and i != same:
            continue
        # Agreeing context picks the occurrence; the paragraph's identity and place break near-ties.
        rank = (
            context + 16 * same_text + 8 * (i == same) + 4 * (index.paragraphs[i].section == anchor.section)
        )
        if rank > best_rank:
            best, best_rank = (i, at), rank
    if best is not None:
        i, at = best
        return _placed(EXACT, index, i, (at, at + len(quote)), 1.0)
    return _approximate_quote(anchor, quote, index, threshold, same)


def _approximate_quote(
    anchor: Anchor, quote: str, index: _Index, threshold: float, same: int | None
) -> Placement:
    quote_words = _words(quote)
    if not quote_words:
        return ORPHAN
    candidates = index.likely(_words(" ".join((anchor.prefix, quote, anchor.suffix))))
    # The old paragraph's closest successor holds the reworded passage even when the passage shares few words.
    candidates += index.likely(_words(anchor.paragraph_text), limit=2)
    if same is not None:
        candidates.append(same)
    prefix, suffix = normalise(anchor.prefix).casefold(), normalise(anchor.suffix).casefold()
    folded_quote = quote.casefold()
    likely = []
    for i in dict.fromkeys(candidates):
        text = index.norm[i].casefold()
        spans = [m.span() for m in _WORD.finditer(text)]
        words = [text[a:b] for a, b in spans]
        if words:
            likely.append((_likeness(quote_words, words), i == same, i, text, spans, words))
    best, best_score, best_rank = None, 0.0, 0.0
    # The slower alignment only for the likeliest paragraphs.
    for _, _, i, text, spans, words in sorted(likely, key=lambda c: c[:2], reverse=True)[:ALIGNED]:
        first, last = _align(quote_words, words)
        if first >= last:
            continue
        start, end = spans[first][0], spans[last - 1][1]
        # Words alone miss a fixed typo; characters alone see two different sentences as close through their
        # shared letters. Their mean is fair to both.
        score = (_ratio(quote_words, words[first:last]) + _ratio(folded_quote, text[start:end])) / 2
        sides = []
        if prefix:
            sides.append(_ratio(prefix, text[max(0, start - len(prefix)) : start]))
        if suffix:
            sides.append(_ratio(suffix, text[end : end + len(suffix)]))
        if sides:
            # A reworded passage mostly keeps its surroundings; a look-alike sentence elsewhere does not. Context
            # confirms a match but cannot make a poor one good.
            score *= 0.6 + 0.4 * sum(sides) / len(sides)
        rank = score + (0.01 if i == same else 0.0)
        if rank > best_rank:
            best, best_score, best_rank = (i, start, end), score, rank
    if best is not None and best_score >= threshold:
        i, start, end = best
        return _placed(APPROXIMATE, index, i, (start, end), round(min(best_score, 0.999), 3))
    return ORPHAN


def _likeness(quote_words: list[str], words: list[str]) -> float:
    """How many of the quote's words the best window of as many paragraph words holds (Dice of the two bags of
    words): cheap, and an upper bound of the word-order ratio, so it can rank paragraphs before aligning."""
    need = Counter(quote_words)
    width = min(len(quote_words), len(words))
    have: Counter[str] = Counter()
    overlap = best = 0
    for k, word in enumerate(words):
        if have[word] < need[word]:
            overlap += 1
        have[word] += 1
        if k >= width:
            gone = words[k - width]
            if have[gone] <= need[gone]:
                overlap -= 1
            have[gone] -= 1
        best = max(best, overlap)
    return 2 * best / (len(quote_words) + width)


def _align(quote_words: list[str], words: list[str]) -> tuple[int, int]:
    """The stretch of words (first, end) that takes the fewest word edits to become the quote (Sellers'
    approximate substring match). Unlike aligning the whole paragraph, it cannot settle on a neighbouring
    sentence that repeats part of the quote's phrasing."""
    n = len(words)
    cost, start = [0] * (n + 1), list(range(n + 1))
    for i, quote_word in enumerate(quote_words, 1):
        row, row_start = [i] + [0] * n, [0] * (n + 1)
        for j in range(1, n + 1):
            best, best_start = cost[j - 1] + (quote_word != words[j - 1]), start[j - 1]
            if cost[j] + 1 < best:
                best, best_start = cost[j] + 1, start[j]
            if row[j - 1] + 1 < best:
                best, best_start = row[j - 1] + 1, row_start[j - 1]
            row[j], row_start[j] = best, best_start
        cost, start = row, row_start
    end = min(range(1, n + 1), key=lambda j: cost[j])
    return start[end], end


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _token_key(token: str) -> str:
    return " " if token.isspace() else token.translate(_FOLD)


def inline_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """Word-level ops turning old into new: ("equal", text), ("delete", old text), ("insert", new text)."""
    a, b = _tokens(old), _tokens(new)
    ops: list[tuple[str, str]] = []
    matcher = SequenceMatcher(None, [_token_key(t) for t in a], [_token_key(t) for t in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("equal", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            ops.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            ops.append(("insert", "".join(b[j1:j2])))
    return tuple(_to_word_starts(_tidy(ops)))


def _tidy(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Fold a lone space between two edits into them, then merge each run of edits into one delete and one
    insert, so a reworded phrase reads as one replacement rather than word-by-word confetti."""
    folded: list[tuple[str, str]] = []
    for n, (tag, text) in enumerate(ops):
        between = 0 < n < len(ops) - 1 and ops[n - 1][0] != "equal" and ops[n + 1][0] != "equal"
        if tag == "equal" and between and text.isspace():
            folded += [("delete", text), ("insert", text)]
        else:
            folded.append((tag, text))
    merged: list[tuple[str, str]] = []
    run: dict[str, list[str]] = {"delete": [], "insert": []}

    def flush() -> None:
        for tag in ("delete", "insert"):
            if run[tag]:
                merged.append((tag, "".join(run[tag])))
                run[tag] = []

    for tag, text in folded:
        if tag == "equal":
            flush()
            if merged and merged[-1][0] == "equal":
                merged[-1] = ("equal", merged[-1][1] + text)
            else:
                merged.append((tag, text))
        else:
            run[tag].append(text)
    flush()
    return merged


def _to_word_starts(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Slide a lone insertion or deletion that starts with a space to start at the next word instead, so it
    reads "The [independent ]board" rather than "The[ independent] board"."""
    ops = list(ops)
    for n in range(1, len(ops) - 1):
        (before, text, after) = ops[n - 1], ops[n], ops[n + 1]
        lone = before[0] == "equal" and after[0] == "equal" and text[0] != "equal"
        if lone and text[1][:1].isspace() and after[1][:1] == text[1][:1]:
            space = text[1][0]
            ops[n - 1] = ("equal", before[1] + space)
            ops[n] = (text[0], text[1][1:] + space)
            ops[n + 1] = ("equal", after[1][1:])
    return [op for op in ops if op[1]]


@dataclass
class _Pairing:
    changed: dict[int, int] = field(default_factory=dict)  # new index -> old index, changed in place
    moved: dict[int, int] = field(default_factory=dict)  # new index -> old index, out of place
    moved_away: set[int] = field(default_factory=set)  # old indices shown where they went


def redline(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[Change]:
    """Every paragraph's fate, in the new document's order, removed ones where they were."""
    old_keys = [normalise(p.text) for p in old]
    new_keys = [normalise(p.text) for p in new]
    opcodes = SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes()
    section_map = _section_map(old, new, opcodes)
    pairing = _pair(old_keys, new_keys, opcodes)
    changes: list[Change] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                moved = section_map.get(old[i].section) != new[j].section
                changes.append(Change("moved" if moved else "same", old[i], new[j]))
            continue
        # Between two changed pairs (the fixed points of a stretch): the removed paragraphs first, then the
        # ones added or moved in, as a reader expects of a redline.
        syncs = sorted((j, i) for j, i in pairing.changed.items() if j1 <= j < j2)
        next_old, next_new = i1, j1
        for j, i in [*syncs, (j2, i2)]:
            changes += _removed(old, range(next_old, i), pairing)
            for k in range(next_new, j):
                if k in pairing.moved:
                    m = pairing.moved[k]
                    inline = () if old_keys[m] == new_keys[k] else inline_diff(old[m].text, new[k].text)
                    changes.append(Change("moved", old[m], new[k], inline))
                else:
                    changes.append(Change("added", None, new[k]))
            if j < j2:
                changes.append(Change("changed", old[i], new[j], inline_diff(old[i].text, new[j].text)))
            next_old, next_new = i + 1, j + 1
    return changes


def _removed(old: Sequence[Paragraph], indices: range, pairing: _Pairing) -> list[Change]:
    return [Change("removed", old[i], None) for i in indices if i not in pairing.moved_away]


def _section_map(old: Sequence[Paragraph], new: Sequence[Paragraph], opcodes: list) -> dict[str, str]:
    """Each old section's number in the new version: where most of its unchanged paragraphs went."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                votes[old[i].section][new[j].section] += 1
    return {section: counter.most_common(1)[0][0] for section, counter in votes.items()}


def _pair(old_keys: list[str], new_keys: list[str], opcodes: list) -> _Pairing:
    pairing = _Pairing()
    gone = [i for tag, i1, i2, _, _ in opcodes if tag != "equal" for i in range(i1, i2)]
    came = [j for tag, _, _, j1, j2 in opcodes if tag != "equal" for j in range(j1, j2)]
    # Identical text out of place: moved.
    by_text: dict[str, list[int]] = defaultdict(list)
    for i in gone:
        by_text[old_keys[i]].append(i)
    for j in came:
        if by_text.get(new_keys[j]):
            i = by_text[new_keys[j]].pop(0)
            pairing.moved[j] = i
            pairing.moved_away.add(i)
    # Alike paragraphs in the same stretch, in order: changed.
    for tag, i1, i2, j1, j2 in opcodes:
        if tag != "replace":
            continue
        next_old = i1
        for j in range(j1, j2):
            if j in pairing.moved:
                continue
            new_words = _words(new_keys[j])
            best, best_score = None, CHANGED_MIN
            for i in range(next_old, i2):
                if i in pairing.moved_away:
                    continue
                matcher = SequenceMatcher(None, _words(old_keys[i]), new_words, autojunk=False)
                if matcher.real_quick_ratio() < best_score or matcher.quick_ratio() < best_score:
                    continue
                score = matcher.ratio()
                if score >= best_score:
                    best, best_score = i, score
            if best is not None:
                pairing.changed[j] = best
                next_old = best + 1
    # Nearly identical text out of place: moved and touched up.
    paired_old = set(pairing.changed.values()) | pairing.moved_away
    left_old = [i for i in gone if i not in paired_old]
    left_new = [j for j in came if j not in pairing.changed and j not in pairing.moved]
    for j in left_new:
        new_words = _words(new_keys[j])
        for i in left_old:
            if i in pairing.moved_away:
                continue
            matcher = SequenceMatcher(None, _words(old_keys[i]), new_words, autojunk=False)
            # Cheap upper bounds first: most pairs are nowhere near.
            alike = matcher.real_quick_ratio() >= MOVED_MIN and matcher.quick_ratio() >= MOVED_MIN
            if alike and matcher.ratio() >= MOVED_MIN:
                pairing.moved[j] = i
                pairing.moved_away.add(i)
                break
    return pairing


def redline_by_section(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> dict[str, list[Change]]:
    """The redline under the new version's section numbers; a removed paragraph stays with its neighbours, or
    under its old section number when its whole section went."""
    groups: dict[str, list[Change]] = {}
    changes = redline(old, new)
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for change in changes:
        if change.kind in ("same", "changed"):
            votes[change.old.section][change.new.section] += 1
    kept = {section: counter.most_common(1)[0][0] for section, counter in votes.items()}
    for change in changes:
        if change.new is not None:
            section = change.new.section
        else:
            section = kept.get(change.old.section, change.old.section)
        groups.setdefault(section, []).append(change)
    return groups
