"""Spotting a request that speaks of violence, abuse or a child in danger, and saying why.

The reviewed lists live in `data/urgent_keywords.toml` (its header explains the notation to CPC
reviewers). A parent may write in any language whatever the screen language, and in any script,
so every list is checked against every text:

- A text is cut into words (hyphens split, apostrophes kept) and sentences. Each word is seen
  three ways: folded Cyrillic (lower case, ё→е, and Kyrgyz ө/ү/ң→о/у/н, as on a Russian keyboard;
  a Latin word is first transliterated, "balamdy urup" → «баламды уруп»), Cyrillic as written
  (for the few Kyrgyz words that only folding makes ambiguous: «өлтүр» "kill" vs «олтур» "sit"),
  and Latin as written (for the English lists). A Latin word also matches entries with a soft
  sign written without it ("malenkiy" «маленький»).
- Entries are word starts ("stems"), so inflection needs no stemmer: Russian «избива» covers
  «избивает», «избивали»; Kyrgyz «сабап» covers «сабаптыр». A Kyrgyz stem ending in к also
  matches with г («зомбулук» → «зомбулугу»). Exceptions name innocent words that start with a
  stem («сабак», "lesson", against «саба», "beat"). Long Russian stems tolerate one typo
  ("избевает"); Kyrgyz ones do not, as one vowel often tells two words apart. Russian entries
  are also matched spelt loosely, the way hurried or unschooled Russian is typed: unstressed о
  as а, е/э/ы as и, no soft or hard sign, doubled letters single («прапал» for «пропал»,
  «гразит» for «грозит», «убет» for «убьет»).
- Phrases are word starts in a row; "..." lets up to four other words in between, so
  «бьет ... @child» catches «бьет нашего старшего ребенка». `@name` stands for a group of words.
  "Together" rules need all their parts in one sentence, in any order, for danger said without
  an alarming word ("hide" + "drunk").
- A match is dropped inside a `jokes` entry when the text laughs ("he'll kill me when he sees
  the price lol"), when a `resolved` entry follows it ("found her after ten minutes, all fine",
  «табылды, баары жакшы»), when a negation stands right before it («не бьет», "never hit"), when a
  Kyrgyz «жок»/«эмес» stands right after it («урган жок»), or when it lies inside a figure of
  speech ("killed five hours in the queue").

Russian stemmers (Snowball) were weighed and left out: word starts do the same work for the
suffixes that matter here, Snowball cuts short verbs too far («убил» → «уб»), knows no Kyrgyz
and no typos, and staff could not read what it matched.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.languages import SUPPORTED_LANGUAGES

GAP = 4  # other words allowed where a phrase says "..."
FUZZY_MIN = 6  # stems at least this long tolerate one typo
# A word typed in Latin letters often drops the soft sign ("malenkiy", "izbivayet"); entries
# with ь also match such a word without it when what is left is this long ("бьет" → "бет"
# would be the English "bet").
SOFTLESS_MIN = 5
# Loose spelling is too blunt for short words: «бьет» would become «бит», the start of «битва».
LOOSE_MIN = 5
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ`][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?;…\n]")
_CLAUSE_END = re.compile(r"[,:()—–]")
_CYRILLIC = re.compile(r"[а-яёөүң]")
_LATIN = re.compile(r"[a-zöüñı]")
_KYRGYZ_FOLD = str.maketrans({"ё": "е", "ө": "о", "ү": "у", "ң": "н", "ъ": "ь"})
_LOOSE = str.maketrans({"о": "а", "е": "и", "э": "и", "ы": "и", "й": "и", "ь": None})
_DOUBLED = re.compile(r"(.)\1+")
_HOMOGLYPHS = str.maketrans("aeopcxykmthb", "аеорсхукмтнв")
_LATIN_DIGRAPHS = (
    ("shch", "щ"), ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"),
    ("tsya", "тся"), ("ts", "ц"),
    ("yo", "е"), ("ye", "е"), ("ya", "я"), ("yu", "ю"), ("'", "ь"), ("’", "ь"), ("ʼ", "ь"),
    ("`", "ь"),
)  # fmt: skip
_LATIN_LETTERS = str.maketrans(
    {
        "a": "а", "b": "б", "c": "ц", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и",
        "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р",
        "s": "с", "t": "т", "u": "у", "v": "в", "w": "ш", "x": "х", "y": "ы", "z": "з", "ö": "ө",
        "ü": "ү", "ñ": "ң", "ı": "ы", "й": "й",
    }
)  # fmt: skip
_SOFT_Y = re.compile(r"(?<=[bcdfghjklmnpqrstvwxz])y(?=[aeou])")
_SHORT_Y = re.compile(r"(?<=[aeiou])y(?![aeiou])")  # "kelbey" «келбей», "moy" «мой»
_SHORT_I = re.compile(r"(?<=[aeou])i(?![aeiou])")  # "uidon" «уйдон», "kaida" «кайда»
_KYRGYZ_VOWELS = (("o'", "ө"), ("u'", "ү"), ("o’", "ө"), ("u’", "ү"), ("oe", "ө"), ("ue", "ү"))
_DOUBLED_CONSONANT = re.compile(r"^([bcdfghjklmnpqrstvwxz])\1")  # "ssyn", a slip for "syn"
_NG = re.compile(r"ng(?![aeiouy])")  # Kyrgyz ң: "berbeseng" «бербесең», not "angel"
_WHOLE = "."  # an entry ending in a full stop is that whole word, not a word start


def fold(word: str) -> str:
    """Lower case, ё→е, ъ→ь (a common slip: «бъет») and Kyrgyz letters as a Russian keyboard
    types them («өлтүр» → «олтур»)."""
    return word.lower().translate(_KYRGYZ_FOLD)


def loose(folded: str) -> str:
    """A folded Russian word as it sounds, whatever its spelling: «пропал» and «прапал» → «прапал»,
    «убьет» and «убет» → «убит», «жестокий» and «жжестокий» → «жистаки»."""
    return _DOUBLED.sub(r"\1", folded.translate(_LOOSE))


def transliterate(word: str) -> tuple[str, ...]:
    """Cyrillic readings of a lower-case Latin word ("urup" → «уруп», "b'et" → «бьет»).

    Where Latin spelling is ambiguous, every reading is kept: after a consonant, "y" before a
    vowel ("menya" «меня», "ubyu" «убью»); a final "j" («муж» "muj", «мой» "moj"); "i" for Kyrgyz
    ы ("kizim" «кызым») when the word has no "y"; Kyrgyz ө/ү as "o'"/"u'"/"oe"/"ue" and ң as a
    final "ng"; "i" after a vowel is й ("uidon" «уйдон»); "tsya" is «тся» ("povesitsya"); a doubled
    first consonant is also read single ("ssyn" «сын», while "bill" stays no «бил»)."""
    readings = {word, _DOUBLED_CONSONANT.sub(r"\1", word)}
    for latin, kyrgyz in _KYRGYZ_VOWELS:
        if latin in word:
            readings = {reading.replace(latin, kyrgyz) for reading in readings} | readings
    if _SOFT_Y.search(word):
        readings |= {_SOFT_Y.sub("'y", reading) for reading in readings}
    if _NG.search(word):
        readings |= {_NG.sub("ң", reading) for reading in readings}
    if "i" in word and "y" not in word:
        readings |= {reading.replace("i", "y") for reading in readings}
    result = set()
    for reading in readings:
        reading = _SHORT_I.sub("й", _SHORT_Y.sub("й", reading))
        for latin, cyrillic in _LATIN_DIGRAPHS:
            reading = reading.replace(latin, cyrillic)
        cyrillic = reading.translate(_LATIN_LETTERS)
        result.add(cyrillic)
        if reading.endswith("j"):
            result.add(cyrillic[:-1] + "й")  # "moj", "svoj"
    return tuple(sorted(result))


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    sentence: int
    clause: int  # phrases stay within one clause, "together" parts within one sentence
    joined: bool  # nothing but spaces between this word and the one before
    cyrillic: tuple[str, ...]  # folded Cyrillic readings
    exact: tuple[str, ...]  # Cyrillic readings as written (lower case, ё→е), not folded
    latin: str | None  # lower-case Latin as written, for the English lists


def _words(text: str) -> list[_Word]:
    words: list[_Word] = []
    sentence, clause, previous_end = 0, 0, 0
    for part in _WORD.finditer(text.replace("-", " ")):
        between = text[previous_end : part.start()]
        if words and _SENTENCE_END.search(between):
            sentence += 1
        if words and (_SENTENCE_END.search(between) or _CLAUSE_END.search(between)):
            clause += 1
        previous_end = part.end()
        lowered = part.group().lower().replace("ё", "е")
        has_cyrillic, has_latin = bool(_CYRILLIC.search(lowered)), bool(_LATIN.search(lowered))
        latin = None
        if has_cyrillic and has_latin:
            exact: tuple[str, ...] = (lowered.translate(_HOMOGLYPHS),)
        elif has_latin:
            latin, exact = lowered, transliterate(lowered)
        else:
            exact = (lowered,)
        words.append(
            _Word(
                part.start(), part.end(), sentence, clause, not between.strip(),
                tuple(fold(reading) for reading in exact), exact, latin,
            )
        )  # fmt: skip
    return words


class _Atoms:
    """Word starts and whole words of one script, numbered as bits of a mask.

    A word's mask says every entry it matches; a phrase slot is the mask of its alternatives,
    so matching a slot is one `&`. Lookups go by prefix length, so a word costs a few dict hits
    however long the lists grow."""

    def __init__(self, script: str, bits: dict[tuple[str, str, bool], int]) -> None:
        self._bits = bits
        self._script = script
        self.prefixes: dict[int, dict[str, int]] = defaultdict(dict)
        self.wholes: dict[str, int] = {}
        self.exceptions: dict[str, int] = {}  # innocent word start → bits it cancels
        self.fuzzy: dict[tuple[int, str], int] = defaultdict(int)  # (stem length, variant) → bits
        self._fuzzy_heads: dict[str, set[int]] = defaultdict(set)  # first two letters → lengths

    def bit(self, text: str, whole: bool) -> int:
        key = (self._script, text, whole)
        if key not in self._bits:
            self._bits[key] = 1 << len(self._bits)
        bit = self._bits[key]
        table = self.wholes if whole else self.prefixes[len(text)]
        table[text] = table.get(text, 0) | bit
        return bit

    def alias(self, text: str, whole: bool, bit: int) -> None:
        """Let another spelling stand for an entry already numbered."""
        table = self.wholes if whole else self.prefixes[len(text)]
        table[text] = table.get(text, 0) | bit

    def add_exception(self, text: str) -> None:
        self.exceptions[text] = 0

    def add_fuzzy(self, stem: str, bit: int) -> None:
        for variant in {stem, *_deletions(stem)}:
            self.fuzzy[len(stem), variant] |= bit
        self._fuzzy_heads[stem[:2]].add(len(stem))
        self._fuzzy_heads[stem[0] + stem[2]].add(len(stem))  # the second letter wrong or missing

    def seal(self) -> None:
        """Work out which entries each exception cancels: those that are its own start."""
        for exception in self.exceptions:
            self.exceptions[exception] = self.lookup(exception, with_exceptions=False)
        self._lengths = sorted(self.prefixes)
        self._exception_lengths = sorted({len(e) for e in self.exceptions})

    def lookup(self, word: str, *, with_exceptions: bool = True) -> int:
        mask = self.wholes.get(word, 0)
        for length in self._lengths if with_exceptions else sorted(self.prefixes):
            if length > len(word):
                break
            mask |= self.prefixes[length].get(word[:length], 0)
        if not with_exceptions:
            return mask
        innocent = False
        for length in self._exception_lengths:
            if length > len(word):
                break
            cancelled = self.exceptions.get(word[:length])
            if cancelled is not None:
                innocent = True
                mask &= ~cancelled
        if self.fuzzy and not innocent and len(word) >= FUZZY_MIN - 1:
            mask |= self._fuzzy_lookup(word)
        return mask

    def _fuzzy_lookup(self, word: str) -> int:
        """Stems one typo away from the word's start (a letter missing, extra, wrong or swapped;
        the first letter is taken as right)."""
        mask = 0
        lengths = self._fuzzy_heads.get(word[:2], set()) | self._fuzzy_heads.get(
            word[0] + word[2], set()
        )
        for length in lengths:
            for size in (length - 1, length, length + 1):
                if size > len(word):
                    break
                start = word[:size]
                for variant in (start, *_deletions(start)):
                    mask |= self.fuzzy.get((length, variant), 0)
        return mask


def _deletions(text: str) -> Iterator[str]:
    return (text[:i] + text[i + 1 :] for i in range(1, len(text)))


Alternative = tuple[int, ...]  # one mask per word, the words in a row
Segment = tuple[Alternative, ...]  # "a|b c": any one of its alternatives


@dataclass(frozen=True)
class _Rule:
    """One reviewed entry: segments in order, up to GAP other words between two segments."""

    label: str
    segments: tuple[Segment, ...]
    negatable: bool
    needs: tuple[int, ...] = ()  # per segment, every word it may match: a quick first test

    def possible(self, present: int) -> bool:
        """Whether every segment could match, given the masks of all the text's words."""
        return all(need & present for need in self.needs)


@dataclass(frozen=True)
class _Span:
    first: int
    last: int

    def overlaps(self, other: _Span) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class _Context:
    """What in the whole text can cancel a match: figures of speech, laughter, the past."""

    figures: list[_Span]
    laughs: bool  # "чуть не убила сына ))": a joke, when an `almost` word stands before
    part_of: list[int]  # per word, its part of the sentence (see `_parts`)
    past_parts: set[int]  # parts that tell of the past and of nothing going on now
    resolved_at: int  # the first word of the last `resolved` entry, -1 when there is none


@dataclass(frozen=True)
class UrgencyMatch:
    """Why a text was marked urgent: what it says, as written, in the order it says it."""

    terms: tuple[str, ...]


@dataclass
class _Lists:
    """The TOML of one language, parsed."""

    stems: list[str] = field(default_factory=list)
    exact: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    together: list[list[str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    negations: list[str] = field(default_factory=list)
    almost: list[str] = field(default_factory=list)
    negated_after: list[str] = field(default_factory=list)
    laughter: list[str] = field(default_factory=list)
    jokes: list[str] = field(default_factory=list)
    past: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    ongoing: list[str] = field(default_factory=list)
    turns: list[str] = field(default_factory=list)


class UrgencyKeywords:
    """The reviewed lists, compiled once; `match` runs on every parent message."""

    def __init__(self, lists: dict[str, _Lists], groups: dict[str, list[str]]) -> None:
        bits: dict[tuple[str, str, bool], int] = {}
        self._atoms = {script: _Atoms(script, bits) for script in _SCRIPTS}
        self._groups = groups
        self._rules: list[_Rule] = []
        self._together: list[tuple[_Rule, ...]] = []
        self._figures: list[_Rule] = []
        self._negations: set[str] = set()
        self._almost: set[str] = set()
        self._negated_after: set[str] = set()
        self._laughter: set[str] = set()
        self._jokes: list[_Rule] = []
        self._past: list[_Rule] = []
        self._resolved: list[_Rule] = []
        self._ongoing: list[_Rule] = []
        self._turns: set[str] = set()
        for language, entries in lists.items():
            self._compile(language, entries)
        for atoms in self._atoms.values():
            atoms.seal()
        self._rules = [self._affirmed(rule) for rule in self._rules]
        self._together = [tuple(self._affirmed(part) for part in parts) for parts in self._together]
        self._by_first = _index(self._rules)
        self._figures_by_first = _index(self._figures)
        self._resolved_by_first = _index(self._resolved)
        self._jokes_by_first = _index(self._jokes)
        # "together" rules by each word their first part may start with, so a message is tried
        # only against those whose first part it can match
        self._together_by_first: dict[int, list[int]] = defaultdict(list)
        for number, parts in enumerate(self._together):
            for bit in _bits_of(parts[0].needs[0]):
                self._together_by_first[bit].append(number)

    @classmethod
    def load(cls, path: Path) -> UrgencyKeywords:
        with path.open("rb") as file:
            data = tomllib.load(file)
        lists = {language: _Lists(**data.get(language, {})) for language in SUPPORTED_LANGUAGES}
        return cls(lists, data.get("groups", {}))

    def matches(self, text: str | None) -> bool:
        """True when the text speaks of danger (see `match` for why)."""
        return self.match(text) is not None

    def match(self, text: str | None) -> UrgencyMatch | None:
        """What in the text marks it urgent, or None when nothing does."""
        if not text:
            return None
        words = _words(text)
        masks = [self._mask(word) for word in words]
        present = 0
        for mask in masks:
            present |= mask
        if not present:
            return None
        context = self._context(text, words, masks, present)
        found: list[_Span] = []
        for rule in _candidates(self._by_first, present):
            found += [
                span
                for span in self._find(rule, words, masks, present)
                if not self._cancelled(rule, span, words, context)
            ]
        for parts in self._together_candidates(present):
            if not all(part.possible(present) for part in parts):
                continue
            found += self._find_together(parts, words, masks, present, context)
        if not found:
            return None
        kept: list[_Span] = []
        for span in sorted(set(found), key=lambda span: (span.first, -span.last)):
            if not kept or span.last > kept[-1].last:  # a part of a longer match adds nothing
                kept.append(span)
        terms = dict.fromkeys(text[words[s.first].start : words[s.last].end] for s in kept)
        return UrgencyMatch(tuple(terms))

    def _together_candidates(self, present: int) -> Iterator[tuple[_Rule, ...]]:
        numbers = {n for bit in _bits_of(present) for n in self._together_by_first.get(bit, ())}
        return (self._together[number] for number in sorted(numbers))

    def _context(self, text: str, words: list[_Word], masks: list[int], present: int) -> _Context:
        lowered = text.lower()
        laughs = any(marker in lowered for marker in self._laughter)
        figures = [
            span
            for index in (self._figures_by_first, self._jokes_by_first if laughs else {})
            for rule in _candidates(index, present)
            for span in self._find(rule, words, masks, present)
        ]
        part_of = self._parts(words)
        past, ongoing = (
            {
                part_of[span.first]
                for rule in rules
                for span in self._find(rule, words, masks, present)
            }
            for rules in (self._past, self._ongoing)
        )
        resolved_at = max(
            (
                span.first
                for rule in _candidates(self._resolved_by_first, present)
                for span in self._find(rule, words, masks, present)
            ),
            default=-1,
        )
        return _Context(figures, laughs, part_of, past - ongoing, resolved_at)

    def _parts(self, words: list[_Word]) -> list[int]:
        """Per word, its part of the text: a new part starts at each clause and at each word
        that turns from one time to another («а теперь», "but now", «азыр»), so that "he beat
        me years ago but now he beats the children" keeps its second half."""
        parts, part = [], 0
        for at, word in enumerate(words):
            if at and (word.clause != words[at - 1].clause or _says(word, self._turns)):
                part += 1
            parts.append(part)
        return parts

    def _mask(self, word: _Word) -> int:
        """Every entry the word matches, in any of its readings."""
        mask = 0
        for reading in word.cyrillic:
            mask |= self._atoms["cyrillic"].lookup(reading)
        for reading in word.exact:
            mask |= self._atoms["exact"].lookup(reading)
        for reading in word.cyrillic:
            mask |= self._atoms["loose"].lookup(loose(reading))
        if word.latin:
            mask |= self._atoms["latin"].lookup(word.latin)
            for reading in word.cyrillic:
                mask |= self._atoms["softless"].lookup(reading)
        return mask

    def _find(
        self, rule: _Rule, words: list[_Word], masks: list[int], present: int
    ) -> Iterator[_Span]:
        if not rule.possible(present):
            return
        opening = rule.needs[0]
        for first, mask in enumerate(masks):
            if not mask & opening:
                continue
            last = self._segment(rule, 0, words, masks, first)
            if last is not None:
                yield _Span(first, last)

    def _segment(
        self, rule: _Rule, index: int, words: list[_Word], masks: list[int], at: int
    ) -> int | None:
        """The last word of the rule when its segments from `index` on start at the word `at`."""
        for alternative in rule.segments[index]:
            end = at + len(alternative) - 1
            if end >= len(words) or words[end].clause != words[at].clause:
                continue
            if not all(masks[at + i] & mask for i, mask in enumerate(alternative)):
                continue
            if index + 1 == len(rule.segments):
                return end
            opening = rule.needs[index + 1]
            for following in range(end + 1, min(len(words), end + 2 + GAP)):
                if words[following].clause != words[at].clause:
                    break
                if not masks[following] & opening:
                    continue
                last = self._segment(rule, index + 1, words, masks, following)
                if last is not None:
                    return last
        return None

    def _find_together(
        self,
        parts: tuple[_Rule, ...],
        words: list[_Word],
        masks: list[int],
        present: int,
        context: _Context,
    ) -> list[_Span]:
        by_part = [
            [
                span
                for span in self._find(part, words, masks, present)
                if not self._cancelled(part, span, words, context)
            ]
            for part in parts
        ]
        sentences = set.intersection(
            *({words[s.first].sentence for s in spans} for spans in by_part)
        )
        return [
            span for spans in by_part for span in spans if words[span.first].sentence in sentences
        ]

    def _cancelled(self, rule: _Rule, span: _Span, words: list[_Word], context: _Context) -> bool:
        """A figure of speech; a part of the text that tells only of the past ("used to", «3 года
        назад»); a joke («чуть не убила ... ))»: an `almost` word before the match, and laughter
        in the text); a negation right before or inside (unless the entry says one itself: «не
        хочет жить»); a Kyrgyz «жок»/«эмес» right after."""
        if any(span.overlaps(figure) for figure in context.figures):
            return True
        if context.part_of[span.first] in context.past_parts or span.last < context.resolved_at:
            return True
        before = span.first - 1
        if before > 0 and _says(words[before], self._negations):
            before -= 1
        if context.laughs and before >= 0 and _says(words[before], self._almost):
            return True
        if not rule.negatable:
            return False
        first = span.first - 1 if span.first and words[span.first].joined else span.first
        for at in range(first, span.last + 1):
            if _says(words[at], self._negations) and not (
                at and _says(words[at - 1], self._almost)
            ):
                return True
        after = span.last + 1
        return (
            after < len(words)
            and words[after].joined
            and words[after].sentence == words[span.last].sentence
            and _says(words[after], self._negated_after)
        )

    def _affirmed(self, rule: _Rule) -> _Rule:
        """The rule, negatable only when it says no negation itself."""
        says = any(_normal(word) in self._negations for word in re.split(r"[\s|]+", rule.label))
        return replace(rule, negatable=not says)

    def _compile(self, language: str, lists: _Lists) -> None:
        for stem in lists.stems:
            self._rules.append(self._rule(stem, language, negatable=True, fuzzy=language == "ru"))
        for stem in lists.exact:
            self._rules.append(self._rule(stem, language, negatable=True, exact=True))
        for phrase in lists.phrases:
            self._rules.append(self._rule(phrase, language, negatable=True))
        for parts in lists.together:
            self._together.append(
                tuple(self._rule(part, language, negatable=True) for part in parts)
            )
        self._figures += [self._rule(figure, language, negatable=False) for figure in lists.figures]
        for exception in lists.exceptions:
            self._atoms[_script(exception)].add_exception(_normal(exception))
            if language == "ru" and _script(exception) == "cyrillic":
                self._atoms["loose"].add_exception(loose(_normal(exception)))
        self._negations |= {_normal(word) for word in lists.negations}
        self._almost |= {_normal(word) for word in lists.almost}
        self._negated_after |= {_normal(word) for word in lists.negated_after}
        self._laughter |= {marker.lower() for marker in lists.laughter}
        self._jokes += [self._rule(entry, language, negatable=False) for entry in lists.jokes]
        self._past += [self._rule(entry, language, negatable=False) for entry in lists.past]
        self._resolved += [self._rule(entry, language, negatable=False) for entry in lists.resolved]
        self._ongoing += [self._rule(entry, language, negatable=False) for entry in lists.ongoing]
        self._turns |= {_normal(word) for word in lists.turns}

    def _rule(
        self,
        entry: str,
        language: str,
        *,
        negatable: bool,
        fuzzy: bool = False,
        exact: bool = False,
    ) -> _Rule:
        """Parse "a b|c ... d": segments split by "...", alternatives by "|", words by spaces."""
        segments = []
        for segment in re.split(r"\s*(?:\.\.\.|…)\s*", entry.strip()):
            alternatives = tuple(
                tuple(
                    self._word(word, language, fuzzy=fuzzy, exact=exact)
                    for word in alternative.split()
                )
                for alternative in segment.split("|")
            )
            if not all(alternatives):
                raise ValueError(f"empty part in urgency entry {entry!r}")
            segments.append(alternatives)
        needs = tuple(
            _union(mask for alternative in segment for mask in alternative) for segment in segments
        )
        return _Rule(entry, tuple(segments), negatable, needs)

    def _word(self, word: str, language: str, *, fuzzy: bool, exact: bool) -> int:
        """The mask of one word of an entry (a group stands for all its words)."""
        mask = 0
        for alternative in self._groups[word[1:]] if word.startswith("@") else [word]:
            whole = alternative.endswith(_WHOLE)
            text = alternative.rstrip(_WHOLE)
            script = "exact" if exact else _script(text)
            text = text.lower().replace("ё", "е") if exact else _normal(text)
            atoms = self._atoms[script]
            bit = atoms.bit(text, whole)
            mask |= bit
            if language == "ky" and script == "cyrillic" and not whole and text.endswith("к"):
                mask |= atoms.bit(text[:-1] + "г", whole)  # «зомбулук» → «зомбулугу»
            if language == "ru" and script == "cyrillic" and len(loose(text)) >= LOOSE_MIN:
                self._atoms["loose"].alias(loose(text), whole, bit)
            if fuzzy and script == "cyrillic" and not whole and len(text) >= FUZZY_MIN:
                atoms.add_fuzzy(text, bit)
            softless = text.replace("ь", "")
            if script == "cyrillic" and softless != text and len(softless) >= SOFTLESS_MIN:
                self._atoms["softless"].alias(softless, whole, bit)
        return mask


_SCRIPTS = ("cyrillic", "exact", "latin", "softless", "loose")


def _script(entry: str) -> str:
    """Latin entries match words as written in Latin; the others, folded Cyrillic."""
    return "latin" if _LATIN.search(entry.lower()) else "cyrillic"


def _normal(entry: str) -> str:
    lowered = entry.lower().replace("ё", "е")
    return lowered if _script(lowered) == "latin" else fold(lowered)


def _says(word: _Word, forms: set[str]) -> bool:
    return any(reading in forms for reading in word.cyrillic) or word.latin in forms


def _index(rules: list[_Rule]) -> dict[int, list[_Rule]]:
    """Rules by each word their first segment may start with."""
    index: dict[int, list[_Rule]] = defaultdict(list)
    for rule in rules:
        for alternative in rule.segments[0]:
            for bit in _bits_of(alternative[0]):
                index[bit].append(rule)
    return index


def _candidates(index: dict[int, list[_Rule]], present: int) -> list[_Rule]:
    """The rules whose first word occurs in the text, each once."""
    rules: dict[int, _Rule] = {}
    for bit in _bits_of(present):
        for rule in index.get(bit, ()):
            rules[id(rule)] = rule
    return list(rules.values())


def _union(masks: Iterator[int]) -> int:
    union = 0
    for mask in masks:
        union |= mask
    return union


def _bits_of(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low
        mask ^= low
