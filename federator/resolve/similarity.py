"""How alike two registrations are: normalisation, per-field features, one combined score.

Copies of one registration in two registers drift: titles get typos and words added or
dropped ('Toepassing …', '… (pilot)', a truncated tail), texts are shortened or reordered
sentence by sentence. Different algorithms of one organisation, by contrast, often share
template text but differ in the words that name them. The features follow from that:

- title: token-set similarity (forgives words added on one side, and typos mostly); and a
  replacement factor: when both titles hold words the other lacks ('Handhaving Milieu' vs
  'Handhaving Vuurwerk', 'Maai algoritme' vs 'Oogst algoritme'), the whole score is
  multiplied down, since sibling registrations often share all their text; typos, word
  order and words added on one side only are not replacements;
- text (description and goal together): the mean of word overlap, verbatim-sentence
  containment and word-trigram containment. Containment forgives truncation and reordering;
  the sentence and trigram parts reward copied wording over merely similar wording;
- lawful basis: word overlap, when both records state one;
- nudges: equal or distant begin dates, equal or different status, and a large penalty when
  a record's links name another record than the one it is compared with;
- the organisation's other records (``Block``): a replaced title word is forgiven when it is
  generic ('algoritme' / 'model', also inside compounds), a listed synonym ('controle' /
  'handhaving'), the organisation's house style (in a fifth of its titles), or a reworded
  word in texts that share most of their *own* wording (word trigrams no third record of the
  organisation has); texts that each have much own wording and share none of it are siblings
  on the organisation's template, and their score is lowered.

The score is the weighted mean of the fields both records have, times the replacement
factor, plus the nudges. It depends on the two records and on the other records of their
organisation only (never on other organisations'), so it is stable across runs unless that
organisation's registrations change.

Speed: a ``Profile`` holds one record's folded words, sentences and trigrams; a ``Block``
numbers the items that many of an organisation's records share and turns each record's sets
into integer bit masks, so the text features of a pair are a few AND-and-popcount
operations; items only few records hold are counted from their holders instead, which keeps
the masks short (``_Shared``). The title is compared (rapidfuzz) only for pairs whose text
could still lift them over the floor.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from federator.resolve.candidates import Candidate

# Field weights of the combined score (renormalised over the fields both records have).
W_TITLE = 0.45
W_TEXT = 0.40
W_LAW = 0.15
# Supporting and contradicting signals, added to the weighted mean.
DATE_AGREE = 0.02
DATE_DISAGREE = -0.05  # begin dates more than a year apart
STATUS_AGREE = 0.01
STATUS_DISAGREE = -0.02
LINK_CONFLICT = -0.30  # a link names another record than the one compared with
MAX_NUDGE = DATE_AGREE + STATUS_AGREE
# Block-aware title evidence. A word found in this share (and number) of an organisation's
# titles is its house style ('Algoritme ...', 'Detecteren risico's ...'): replacing it by
# another word is an editor's choice, not another algorithm.
GENERIC_SHARE = 0.2
GENERIC_MIN = 4
GENERIC_FACTOR = 0.92
# Wording two records share and no other record of the organisation has (rare word
# trigrams): when most of it is shared, the texts are copies of one registration, whatever
# word of the title was replaced; when two texts each have much of it and share none, they
# are siblings that share only the organisation's template text.
RARE_MIN = 8  # rare trigrams each side needs before their absence in common counts
REWORDED = 0.35  # replaced words this alike (characters) may be one word reworded
REWORDED_OWN = 0.8  # ... when this share of the texts' own wording is in common
REPLACED = 0.6  # at most this factor for a title with a word replaced
SIBLING_FACTOR = 0.8

_LARS = re.compile(r"\d{8}")
_MONTH = re.compile(r"\d{4}-\d{2}")
_SHINGLE = 3  # words per trigram
_TYPO_MIN = 4  # words shorter than this are not typo-matched: 'a' vs 'b' is a real change
_MIN_SENTENCE = 3  # shorter 'sentences' ('Doel:', '1.') say nothing about copying


# Tokenising is one bytes.translate of the lower-cased ASCII text: letters and digits stay,
# an apostrophe goes (so "risico's" and the NFKD-folded 'risico’s' agree), sentence ends
# become a newline, anything else a space.
_FOLD = bytes(b if chr(b).isalnum() and b < 128 else 32 for b in range(256))
_SPLIT = bytes(10 if chr(b) in ".!?;:\n" else c for b, c in enumerate(_FOLD))


def _ascii(text: str) -> bytes:
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    return text.encode("ascii", "ignore").lower()


def fold(text: str | None) -> str:
    """Lower-case ASCII words separated by single spaces: 'Scanauto’s (NL)' -> 'scanautos nl'."""
    if not text:
        return ""
    return " ".join(_ascii(text).translate(_FOLD, b"'").decode().split())


def norm_url(url: str | None) -> str | None:
    """A link in comparable form: host (lower case, no ``www.``) plus path without trailing
    slash, plus query; scheme (http or https) and fragment dropped."""
    return _norm_url(url.strip()) if url and url.strip() else None


@lru_cache(maxsize=1 << 16)  # explicit evidence and profiles both need every link
def _norm_url(raw: str) -> str | None:
    if "://" not in raw:
        raw = "http://" + raw
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return None
    if not host:
        return None
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{parts.path.rstrip('/')}{query}"


def lars_in_url(url: str | None) -> str | None:
    """The lars a link into the national register points at: its last 8-digit path segment."""
    if not url or "algoritmes.overheid.nl" not in url.lower():
        return None
    key = norm_url(url)
    if not key or not key.startswith("algoritmes.overheid.nl/"):
        return None
    segments = [s for s in key.split("?")[0].split("/") if _LARS.fullmatch(s)]
    return segments[-1] if segments else None


def norm_id(value: str | None) -> str | None:
    """Ids compare case-insensitively and trimmed."""
    value = value.strip().lower() if value else None
    return value or None


@dataclass(frozen=True, slots=True)
class Profile:
    """What comparison needs of one candidate, computed once.

    Sentences and word trigrams are kept as their hashes: compact and quick to compare (a
    64-bit collision is too unlikely to matter).
    """

    title: str
    title_words: tuple[str, ...]
    words: frozenset[bytes]  # of description and goal together
    sentences: frozenset[int]
    shingles: frozenset[int]
    law: frozenset[bytes]
    date: str | None  # yyyy-mm
    status: str | None
    lars: str | None
    lars_refs: frozenset[str]  # national ids its links point at
    claims: frozenset[tuple[str, str]]  # (host, link) of its url: where the registration is
    links: frozenset[tuple[str, str]]  # (host, link) of url and website


_Sentence = tuple[frozenset[bytes], int | None, frozenset[int]]  # words, hash, trigrams
SentenceCache = dict[bytes, _Sentence]


def _sentence(sentence: bytes) -> _Sentence:
    tokens = sentence.split()
    whole = hash(tuple(tokens))
    if len(tokens) <= _SHINGLE:
        shingles = frozenset((whole,)) if tokens else frozenset()
    else:
        shingles = frozenset(map(hash, zip(tokens, tokens[1:], tokens[2:], strict=False)))
    return frozenset(tokens), whole if len(tokens) >= _MIN_SENTENCE else None, shingles


def profile(c: Candidate, cache: SentenceCache | None = None) -> Profile:
    """The comparable features of one candidate. ``cache`` shares the work on sentences
    between records: copies of one registration have most of their sentences in common."""
    if cache is None:
        cache = {}
    raw: set[bytes] = set()  # a description is often the goal's first sentence
    for text in (c.description, c.goal):
        if text:
            raw.update(_ascii(text).translate(_SPLIT, b"'").split(b"\n"))
    words: list[frozenset[bytes]] = []
    whole: list[int] = []
    shingles: list[frozenset[int]] = []
    for sentence in raw:
        if (part := cache.get(sentence)) is None:
            part = cache[sentence] = _sentence(sentence)
        words.append(part[0])
        if part[1] is not None:
            whole.append(part[1])
        shingles.append(part[2])
    claim, own = norm_url(c.url), norm_url(c.website)
    title = fold(c.name)
    return Profile(
        title=title,
        title_words=tuple(title.split()),
        words=frozenset().union(*words),
        sentences=frozenset(whole),
        shingles=frozenset().union(*shingles),
        law=frozenset(_ascii(c.lawful_basis).translate(_FOLD, b"'").split())
        if c.lawful_basis
        else frozenset(),
        date=c.begin_date[:7] if c.begin_date and _MONTH.match(c.begin_date) else None,
        status=c.status,
        lars=c.lars.strip() if c.lars else None,
        lars_refs=frozenset(r for r in (lars_in_url(c.url), lars_in_url(c.website)) if r),
        claims=frozenset({(claim.split("/", 1)[0], claim)} if claim else ()),
        links=frozenset((u.split("/", 1)[0], u) for u in (claim, own) if u),
    )


def title_similarity(a: str, b: str) -> float:
    """Token-set similarity of two folded titles: words added on one side cost nothing."""
    return fuzz.token_set_ratio(a, b) / 100.0 if a and b else 0.0


# Words whose presence on one side only never makes another algorithm: small function words,
# and the marks of a version ('(pilot)', '- versie 2').
DROPPABLE = frozenset(
    (
        *("op", "en", "de", "het", "een", "in", "van", "voor", "te", "of", "met", "bij"),
        *("aan", "om", "tot", "uit", "door", "naar", "als"),
        *("pilot", "experiment", "versie", "herziening", "concept", "proef"),
    )
)
# Words that name the thing itself: one put for another ('Detectiealgoritme' / 'Detectiemodel',
# 'Oogst algoritme' / 'Oogst model') is an editor's choice. Also as part of a compound.
GENERIC_WORDS = (
    "algoritmes",
    "algoritme",
    "modellen",
    "model",
    "toepassing",
    "applicatie",
    "systeem",
    "module",
    "tool",
    "app",
)


# Words of government wording that editors put for one another, also inside compounds
# ('parkeercontrole' / 'parkeerhandhaving'): each class is read as its first word.
SYNONYMS = (
    ("controle", "handhaving", "toezicht", "inspectie"),
    ("detecteren", "opsporen", "signaleren"),
)
_SYNONYM = sorted(((w, cls[0]) for cls in SYNONYMS for w in cls), key=lambda p: -len(p[0]))


@lru_cache(maxsize=1 << 14)
def _core(word: str) -> str:
    """A title word without a generic head or tail, synonyms read alike:
    'verkeersalgoritme' -> 'verkeers', 'parkeerhandhaving' -> 'parkeercontrole'."""
    for g in GENERIC_WORDS:
        if word == g:
            return ""
        if word.endswith(g) and len(word) - len(g) >= 3:
            word = word[: -len(g)]
            break
        if word.startswith(g) and len(word) - len(g) >= 3:
            word = word[len(g) :]
            break
    for w, canon in _SYNONYM:
        if word.endswith(w):
            return word[: -len(w)] + canon
        if word.startswith(w):
            return canon + word[len(w) :]
    return word


def generic_swap(
    left_a: Sequence[str],
    left_b: Sequence[str],
    title_a: Sequence[str] = (),
    title_b: Sequence[str] = (),
) -> bool:
    """Whether two titles differ only by generic words or parts, synonyms, words added on
    one side, or where spaces fall ('Risicomodel' / 'Risicoalgoritme', 'Oogst algoritme' /
    'Oogst model', 'Opsporen ...' / 'Detecteren ...', 'country-bycountry' / 'country-by-
    country'), given the words left on each side (``leftovers``)."""
    core_a = [c for c in map(_core, left_a) if c]
    core_b = [c for c in map(_core, left_b) if c]
    for w in list(core_a):
        hit = next((v for v in core_b if OSA.distance(w, v, score_cutoff=1) <= 1), None)
        if hit is not None:
            core_a.remove(w)
            core_b.remove(hit)
    if not core_a or not core_b:
        return True
    if title_a and title_b:
        squash_a = "".join(_core(w) for w in title_a if w not in DROPPABLE)
        squash_b = "".join(_core(w) for w in title_b if w not in DROPPABLE)
        return OSA.distance(squash_a, squash_b, score_cutoff=2) <= 2
    return False


def replacement(a: Sequence[str], b: Sequence[str]) -> float:
    """1.0 when two titles (as word lists) differ only by words added or dropped on one side,
    by word order or by typos; lower when *both* have words the other lacks, i.e. a word was
    replaced ('Maai algoritme' / 'Oogst algoritme'), however the rest of the title aligns.

    Left-over words one typo apart ('scanuato' / 'scanauto') are paired off first; if words
    remain on both sides, the factor is the character similarity of all left-over words run
    together in title order, so a shifted space ('va nlantaarnpalen') still counts as a typo.
    """
    in_a, in_b = set(a), set(b)
    rest_a = [w for w in a if w not in in_b]
    rest_b = [w for w in b if w not in in_a]
    if not [w for w in rest_a if w not in DROPPABLE] or not [
        w for w in rest_b if w not in DROPPABLE
    ]:
        return 1.0
    left_a, left_b = leftovers(a, b)
    if not left_a or not left_b:
        return 1.0
    joined_a, joined_b = "".join(rest_a), "".join(rest_b)
    shortest = min(len(joined_a), len(joined_b))
    typos = 2 if shortest >= 2 * _TYPO_MIN else 1
    if shortest >= _TYPO_MIN and OSA.distance(joined_a, joined_b, score_cutoff=typos) <= typos:
        return 1.0  # typos and spaces moved: the same words
    # More changed than a typo or two: a word replaced, or a compound changed
    # ('geneesmiddelen' / 'diergeneesmiddelen'), however alike the letters.
    return REPLACED * OSA.normalized_similarity(joined_a, joined_b)


def leftovers(a: Sequence[str], b: Sequence[str]) -> tuple[list[str], list[str]]:
    """The words of each title the other lacks, after pairing off words one typo apart."""
    in_a, in_b = set(a), set(b)
    left_a = [w for w in a if w not in in_b and w not in DROPPABLE]
    left_b = [w for w in b if w not in in_a and w not in DROPPABLE]
    for w in list(left_a):
        for v in left_b:
            if max(len(w), len(v)) >= _TYPO_MIN and OSA.distance(w, v, score_cutoff=1) <= 1:
                left_a.remove(w)
                left_b.remove(v)
                break
    return left_a, left_b


@dataclass(frozen=True, slots=True)
class Features:
    """The evidence of one pair; ``score`` combines it into one number in [0, 1]."""

    title: float
    text: float | None
    law: float | None
    replaced: float = 1.0  # title replacement factor, see ``replacement``
    nudge: float = 0.0
    notes: tuple[str, ...] = ()
    own: float | None = None  # share of the pair's rare wording in common (see ``Block``)

    @property
    def score(self) -> float:
        return _combine(self.title, self.text, self.law, self.replaced, self.nudge)

    def detail(self) -> str:
        parts = [f"title {self.title:.2f}"]
        if self.replaced < 1.0:
            parts.append(f"title words replaced (x{self.replaced:.2f})")
        if self.text is not None:
            parts.append(f"text {self.text:.2f}")
        if self.own is not None:
            parts.append(f"own wording shared {self.own:.2f}")
        if self.law is not None:
            parts.append(f"lawful basis {self.law:.2f}")
        return ", ".join(parts + list(self.notes))


def _combine(
    title: float, text: float | None, law: float | None, replaced: float, nudge: float
) -> float:
    total, weight = W_TITLE * title, W_TITLE
    if text is not None:
        total, weight = total + W_TEXT * text, weight + W_TEXT
    if law is not None:
        total, weight = total + W_LAW * law, weight + W_LAW
    # A replaced title word vetoes rather than averages: sibling registrations of one
    # organisation often share their whole text and differ only in the name.
    return max(0.0, min(1.0, total / weight * replaced + nudge))


def _common(sets: Sequence[frozenset[Hashable]], groups: Sequence[Sequence[int]]) -> frozenset[Any]:
    """The items found in two or more groups (sources): the others can never be shared by a
    compared pair, and most words and trigrams of a text are its own."""
    seen: frozenset[Hashable] = frozenset()
    common: frozenset[Hashable] = frozenset()
    for group in groups:
        union = frozenset().union(*(sets[i] for i in group))
        common |= union & seen
        seen |= union
    return common


@dataclass(frozen=True, slots=True)
class _Shared:
    """One kind of item (words, sentences, trigrams or lawful-basis words) of a block's
    records, for counting how many two records share. Only items found in two or more groups
    count (``_common``). An item many records hold is a bit of their masks: a pair's
    count of them is one AND-and-popcount. An item few hold would only widen every mask for
    the sake of few pairs: it is counted per pair of its holders instead."""

    masks: list[int]  # per record: its items many records hold
    sizes: list[int]  # per record: how many items it has (shared or not)
    few: list[tuple[list[int], ...]]  # per record: the records holding each of its other items

    def counts(self, i: int, masks: list[int], position: dict[int, list[int]]) -> list[int]:
        """How many items record i shares with each record of a list: ``masks``, their
        masks; ``position``: where each record is in it."""
        counts = list(map(int.bit_count, map(self.masks[i].__and__, masks)))
        if self.few[i]:
            for j, n in Counter(chain.from_iterable(self.few[i])).items():
                for p in position.get(j, ()):
                    counts[p] += n
        return counts


FEW = 16  # items held by at most this many of a block's records are counted per pair


def _shared(sets: Sequence[frozenset[Hashable]], groups: Sequence[Sequence[int]]) -> _Shared:
    common = _common(sets, groups)
    held = [s & common for s in sets]
    many = frozenset(item for item, n in Counter(chain.from_iterable(held)).items() if n > FEW)
    bit = {item: 1 << k for k, item in enumerate(many)}
    masks = [sum(map(bit.__getitem__, s & many)) for s in held]  # distinct bits: sum is OR
    rest = [s - many for s in held]
    holders: defaultdict[Hashable, list[int]] = defaultdict(list)
    for r, items in enumerate(rest):
        # holders[item].append(r) for each item, in C: this runs for most items of a block
        deque(map(list.append, map(holders.__getitem__, items), repeat(r)), maxlen=0)
    few = [tuple(map(holders.__getitem__, items)) for items in rest]
    return _Shared(masks, [len(s) for s in sets], few)


class Block:
    """Profiles of one organisation's records, numbered for fast pairwise comparison."""

    def __init__(
        self, profiles: Sequence[Profile], groups: Sequence[Sequence[int]] | None = None
    ) -> None:
        """``groups``: indices of the records per source (records of one source are never
        compared); by default every record is its own group."""
        self.profiles = list(profiles)
        if groups is None:
            groups = [[i] for i in range(len(self.profiles))]
        # The words, sentences, trigrams and lawful-basis words of the records.
        self._shared = tuple(
            _shared([getattr(p, kind) for p in self.profiles], groups)
            for kind in ("words", "sentences", "shingles", "law")
        )
        # Rare trigrams: in no more records than there are registers (one registration's
        # copies), so not the organisation's template text. Per record: those of them found
        # in two or more groups (the only ones a compared pair can share), and how many it has.
        most = max(2, len(groups))
        counts = Counter(chain.from_iterable(p.shingles for p in self.profiles))
        frequent = frozenset(h for h, n in counts.items() if n > most)
        rare = [p.shingles - frequent for p in self.profiles]
        common = _common(rare, groups)
        self._rare = [(r & common, len(r)) for r in rare]
        # Title words that are the organisation's house style.
        words = Counter(chain.from_iterable(set(p.title_words) for p in self.profiles))
        least = max(GENERIC_MIN, GENERIC_SHARE * len(self.profiles))
        self.generic = frozenset(w for w, n in words.items() if n >= least)

    def compare(self, i: int, j: int, floor: float = 0.0) -> Features | None:
        """Features of records i and j, or None when they cannot reach ``floor``."""
        return next((f for _, _, f in self.matches([i], [j], floor)), None)

    def matches(
        self, left: Iterable[int], right: Sequence[int], floor: float
    ) -> Iterator[tuple[int, int, Features]]:
        """Every pair of a record in ``left`` and one in ``right`` that can reach ``floor``,
        with its features. The cheap text features come first; the title is compared only
        when it could still lift the pair over the floor. (Inlined: this is the hot loop.)"""
        profiles, right = self.profiles, list(right)
        need = floor - MAX_NUDGE  # the weighted mean a pair needs, nudged at best
        position: dict[int, list[int]] = defaultdict(list)
        for p, j in enumerate(right):
            position[j].append(p)
        # Per kind of item, the masks and sizes of the records of ``right``, in order.
        words, sentences, shingles, law_words = self._shared
        columns = [([k.masks[j] for j in right], [k.sizes[j] for j in right]) for k in self._shared]
        (cw, cn), (cs, cm), (ch, ck), (cl, cq) = columns
        none = repeat(0)
        w_title, w_text, w_law = W_TITLE, W_TEXT, W_LAW
        for i in left:
            na, ma, ka, qa = (
                words.sizes[i],
                sentences.sizes[i],
                shingles.sizes[i],
                law_words.sizes[i],
            )
            pa = profiles[i]
            # What i shares with each record of ``right``: words, sentences, trigrams, law.
            sw = words.counts(i, cw, position) if na else none
            ss = sentences.counts(i, cs, position) if ma else none
            sh = shingles.counts(i, ch, position) if ka else none
            sl = law_words.counts(i, cl, position) if qa else none
            pairs = zip(right, sw, cn, ss, cm, sh, ck, sl, cq, strict=False)  # ``none`` is endless
            for j, w, nb, s, mb, h, kb, x, qb in pairs:
                # (``a if a < b else b`` is ``min(a, b)``, without the call: this runs for
                # every pair.)
                total, weight = 0.0, w_title
                text = law = None
                if na and nb:
                    text = 0.5 * w / (na if na < nb else nb) + w / (na + nb)
                    if ma and mb:
                        text += s / (ma if ma < mb else mb)
                    if ka and kb:
                        text += h / (ka if ka < kb else kb)
                    text /= 3.0
                    total, weight = w_text * text, w_title + w_text
                if qa and qb:
                    law = 0.5 * x / (qa if qa < qb else qb) + x / (qa + qb)
                    total, weight = total + w_law * law, weight + w_law
                if (total + w_title) / weight < need:
                    continue
                pb = profiles[j]
                title = title_similarity(pa.title, pb.title)
                if (total + W_TITLE * title) / weight < need:
                    continue
                replaced = replacement(pa.title_words, pb.title_words)
                own, replaced = self._own(i, j, pa, pb, replaced)
                yield i, j, Features(title, text, law, replaced, *_nudges(pa, pb), own=own)

    def _own(
        self, i: int, j: int, pa: Profile, pb: Profile, replaced: float
    ) -> tuple[float | None, float]:
        """The share of rare wording the pair has in common, and the title replacement
        factor in its light: a replaced house-style word, or a replaced word in texts that
        are copies of each other, is forgiven; texts that each have their own wording and
        share none of it mark siblings."""
        (ra, na), (rb, nb) = self._rare[i], self._rare[j]
        own = len(ra & rb) / min(na, nb) if na and nb else None
        if replaced < 1.0:
            left_a, left_b = leftovers(pa.title_words, pb.title_words)
            core_a = [c for c in map(_core, left_a) if c]
            core_b = [c for c in map(_core, left_b) if c]
            one_each = len(left_a) == 1 and len(left_b) == 1
            if (
                not core_a
                or not core_b
                or generic_swap(left_a, left_b, pa.title_words, pb.title_words)
                or (one_each and (left_a[0] in self.generic or left_b[0] in self.generic))
            ):
                replaced = max(replaced, GENERIC_FACTOR)
            elif (
                own is not None
                and own >= REWORDED_OWN
                and OSA.normalized_similarity("".join(core_a), "".join(core_b)) >= REWORDED
            ):
                # A word reworded ('parkeercontrole' / 'parkeerhandhaving') in texts that
                # share their own wording.
                replaced = max(replaced, 0.6 + 0.4 * own)
        if own is not None and min(na, nb) >= RARE_MIN and own < 0.1:
            replaced *= SIBLING_FACTOR
        return own, replaced


def compare(a: Profile, b: Profile) -> Features:
    """Features of two profiles on their own (for inspection and tests)."""
    features = Block([a, b]).compare(0, 1)
    assert features is not None  # floor 0 never prunes
    return features


def _nudges(a: Profile, b: Profile) -> tuple[float, tuple[str, ...]]:
    nudge = 0.0
    notes: list[str] = []
    if a.date and b.date:
        if a.date == b.date:
            nudge += DATE_AGREE
            notes.append("same begin date")
        elif abs(int(a.date[:4]) - int(b.date[:4])) > 1:
            nudge += DATE_DISAGREE
            notes.append("begin dates far apart")
    if a.status and b.status:
        nudge += STATUS_AGREE if a.status == b.status else STATUS_DISAGREE
        if a.status != b.status:
            notes.append("status differs")
    if link_conflict(a, b):
        nudge += LINK_CONFLICT
        notes.append("links name another record")
    return nudge, tuple(notes)


def link_conflict(a: Profile, b: Profile) -> bool:
    """True when a record's links say it is another record than the other one: a link to
    another national id, or a 'source registration' link into the other's register (same
    host) that names a different page than the other's own."""
    if (a.lars_refs and b.lars and b.lars not in a.lars_refs) or (
        b.lars_refs and a.lars and a.lars not in b.lars_refs
    ):
        return True
    return _claim_conflict(a, b) or _claim_conflict(b, a)


def _claim_conflict(a: Profile, b: Profile) -> bool:
    hosts = {h for h, _ in a.claims} & {h for h, _ in b.links}
    if not hosts:
        return False
    return not ({u for h, u in a.claims if h in hosts} & {u for h, u in b.links if h in hosts})
