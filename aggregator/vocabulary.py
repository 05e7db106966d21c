"""The words of each language: stop words, language detection, and topic labels' words.

:func:`stop_words` gives a language's function words (the ``stop-words`` and
``stopwordsiso`` lists for languages other than English), :func:`detect_language`
guesses the language of an undeclared post from them, and :func:`pick_terms` /
:func:`display_case` choose and show the words that name a topic.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
from lemminflect import getAllLemmas
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from stop_words import LANGUAGE_MAPPING, StopWordError, get_stop_words
from stopwordsiso import stopwords as iso_stop_words

# Words every blog uses that say nothing about what a post is about (issue #4).
DOMAIN_STOP_WORDS = frozenset("""
post posts posted posting blog blogs blogger blogging read comment
comments reply replies share shared sharing click link links subscribe follow tweet retweet
like likes loading cancel continue via http https www com org net html amp nbsp
week weeks today yesterday tomorrow year years day days month months time times
just really actually think thing things way ways lot lots make makes made going get gets
got know want wants need needs new good great better best use used uses using also one two
three four five first second last next back still even much many well may might could would
should will can let lets say says said see seen look looking come comes came take takes
monday tuesday wednesday thursday friday saturday sunday january february march april june
july august september october november december
""".split()) | frozenset("""
podcast podcasts podcasting episode episodes ep show shows notes listen listens listening
listener listeners download downloads mp3 audio itunes stream streaming duration minutes mins
min hour hours sec seconds host hosts hosted guest guests talk talks talking chat discuss
discusses discussed discussing update updates updated check checks hit submit welcome join
joins joined tune tuned
""".split())  # the medium and its format, and vague verbs: never what a post is about (#12)

# English function words beyond scikit-learn's list, from the stop-words package: used to
# keep them out of labels, where one looks worse than in a model's features.
ENGLISH_LABEL_STOP = frozenset(ENGLISH_STOP_WORDS) | frozenset(get_stop_words("en"))

_WORD = re.compile(r"[^\W\d_]+")


def base_language(code: str | None) -> str | None:
    """Return the primary subtag of a language code: ``pt-BR`` -> ``pt``; None if unknown."""
    if not code:
        return None
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return base if re.fullmatch(r"[a-z]{2,3}", base) else None


@cache
def stop_words(language: str) -> frozenset[str]:
    """Return the function words of ``language`` (a base code), plus the domain's.

    English uses scikit-learn's list; other languages the ``stop-words`` package and the
    larger Stopwords ISO collection (the first alone misses words as common as German
    "mehr", "schon" and "heute", which then named topics); a language neither knows gets
    only the domain's words (and English ones, which show up in every language's posts as
    quotes and titles).
    """
    english = frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOP_WORDS
    if language == "en":
        return english
    try:
        own = frozenset(w.lower() for w in get_stop_words(language))
    except StopWordError:
        own = frozenset()
    return own | frozenset(w.lower() for w in iso_stop_words(language)) | english


@cache
def label_stop_words(language: str) -> frozenset[str]:
    """Return words never to show in a label of a topic in ``language``."""
    return stop_words(language) | ENGLISH_LABEL_STOP


# In scikit-learn's English list, but the Romance function words they are far more often.
_NOT_ENGLISH = frozenset({"de", "con", "un"})


@cache
def _detection_words() -> tuple[tuple[str, ...], dict[str, tuple[int, ...]]]:
    """Return the languages, and for each function word the languages (by index) that have it.

    Only words that are no English word count for another language: the stop-word lists
    of other languages carry English words ("the", "and", "of" are in the Slovak list),
    which would otherwise count for that language in every English text.
    """
    codes = ["en"] + sorted(c for c in LANGUAGE_MAPPING if c != "en" and len(c) == 2)
    english = set(ENGLISH_STOP_WORDS) - _NOT_ENGLISH
    owners: dict[str, list[int]] = {w: [0] for w in english}
    for index, code in enumerate(codes[1:], 1):
        for word in {w.lower() for w in get_stop_words(code)} - english:
            if len(word) > 1:  # single letters are initials as often as words
                owners.setdefault(word, []).append(index)
    return tuple(codes), {w: tuple(langs) for w, langs in owners.items()}


def detect_language(text: str, *, min_words: int = 20) -> str:
    """Guess the base language code of ``text`` from its function words.

    English (the site's default) unless there is real evidence of another language: at
    least ``min_words`` words, of which that language's own function words (no English
    word counts) are at least one in six, at least five of them, and more than the
    English ones. A short English text full of foreign names stays English: names are
    not function words.
    """
    return guess_language(text, min_words=min_words) or "en"


def guess_language(text: str, *, min_words: int = 20) -> str | None:
    """Return :func:`detect_language`'s guess, or None when ``text`` is too short to tell."""
    words = _WORD.findall(text[:1000].lower())[:100]
    if len(words) < min_words:
        return None
    if sum(1 for w in words if w in ENGLISH_STOP_WORDS) >= 0.3 * len(words):
        return "en"  # the common case, decided without the other 30 languages
    codes, owners = _detection_words()
    hits = [0] * len(codes)
    for word in words:
        for index in owners.get(word, ()):
            hits[index] += 1
    best = max(range(1, len(codes)), key=lambda i: (hits[i], -i))
    if hits[best] >= max(5, len(words) / 6) and hits[best] > hits[0]:
        return codes[best]
    return "en"


_STEM_SUFFIXES = ("ational", "ization", "ations", "ation", "ings", "ing", "ers", "ies", "ied",
                  "es", "ed", "er", "ly", "s")


def _stem(word: str) -> str:
    """Return a crude stem, enough to tell "teacher" and "teachers" are one word.

    A final "e" goes too, so "table" and "tables" (stem "tabl") are one word as well, and a
    final "y" or "ie" is one "i": "study" and "studies", "movie" and "movies".
    """
    for suffix in _STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + ("i" if suffix in ("ies", "ied") else "")
            break
    else:
        stem = word[:-1] if word.endswith("e") and len(word) >= 4 else word
    return stem[:-1] + "i" if stem.endswith("y") and len(stem) > 3 else stem


# British and American spellings of one word ("practice" and "practise", "organise" and
# "organize", "behaviour" and "behavior"): one spelling each, before stemming.
_SPELLINGS = ((re.compile(r"ice$"), "ise"), (re.compile(r"iz(?=e|ing|ation)"), "is"),
              (re.compile(r"our(?=s?$)"), "or"), (re.compile(r"yz(?=e|ing)"), "ys"))


def _english_spelling(word: str) -> str:
    for pattern, replacement in _SPELLINGS:
        word = pattern.sub(replacement, word)
    return word


def pick_terms(weights: np.ndarray, terms: Sequence[str], language: str,
                count: int) -> list[str]:
    """Return up to ``count`` of the heaviest terms, no function word, no stem twice.

    In English a word's British and American spellings are one word too.
    """
    banned = label_stop_words(language)
    spelling = _english_spelling if language == "en" else str
    chosen: list[str] = []
    stems: set[str] = set()
    for i in np.argsort(-weights, kind="stable")[: 50 * count]:
        if weights[i] <= 0 or len(chosen) == count:
            break
        words = str(terms[i]).split()
        if not words or any(w in banned or len(w) < 3 for w in words) or \
                len(set(words)) < len(words):  # "novels novels": a word, not a pair
            continue
        if language == "en" and not can_be_noun(words[-1]):  # "enjoy", "hit submit"
            continue
        term_stems = {_stem(spelling(w)) for w in words}
        if any(a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)))
               for a in term_stems for b in stems):
            continue
        chosen.append(" ".join(words))
        stems |= term_stems
    return chosen


@cache
def can_be_noun(word: str) -> bool:
    """Whether an English word can be a noun, as a label's last word must be.

    A label names a subject, and English names subjects with nouns: a word the lexicon
    (lemminflect's) knows only as a verb, an adjective or an adverb ("enjoy", "forget",
    "worst") says what a post does, not what it is about. A verb's -ing form is its noun
    too, the gerund ("reasoning", "safeguarding", "tutoring"), and a word the lexicon does
    not know (a name, a new coinage: "Blair", "microscale") may name a subject.
    """
    readings = getAllLemmas(word)
    return (not readings or "NOUN" in readings or "PROPN" in readings
            or (word.endswith("ing") and "VERB" in readings))


def display_case(term: str, texts: Iterable[str]) -> str:
    """Return ``term`` as ``texts`` write it: "Blair", "SATs", "iPad"; else lowercase.

    Only uses inside a sentence count: a capital where a sentence or a line starts says
    nothing of the word. A form other than lowercase is used when it is at least 4 of
    those uses in 5, and 3 uses at least (one may follow a heading run into the text), and
    then the most common such form.
    """
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, term.split())) + r"(?!\w)",
                         re.IGNORECASE)
    forms: Counter[str] = Counter()
    lowercase = 0
    for text in texts:
        for found in pattern.finditer(text):
            if _starts_sentence(text, found.start()):
                continue
            form = " ".join(found.group().split())
            if form == term:
                lowercase += 1
            else:
                forms[form] += 1
    capitalised = sum(forms.values())
    if capitalised >= 3 and capitalised >= 0.8 * (capitalised + lowercase):
        return max(sorted(forms.items()), key=lambda item: item[1])[0]
    return term


def _starts_sentence(text: str, at: int) -> bool:
    """Whether ``text[at:]`` begins a text, a line or a sentence (after spaces)."""
    before = text[max(0, at - 12):at].rstrip(" \t")
    return not before or before[-1] in ".!?…:;\n\"'“”‘’(["


def join_terms(terms: Sequence[str]) -> str:
    """Return terms as a label: "Phonics, early reading & decoding"."""
    text = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " & " + terms[-1]
    return text[:1].upper() + text[1:]


LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian",
    "vi": "Vietnamese", "zh": "Chinese", "af": "Afrikaans", "be": "Belarusian",
    "bn": "Bengali", "bs": "Bosnian", "cy": "Welsh", "et": "Estonian", "eu": "Basque",
    "ga": "Irish", "gl": "Galician", "gu": "Gujarati", "hr": "Croatian", "hy": "Armenian",
    "is": "Icelandic", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada",
    "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam",
    "mr": "Marathi", "ms": "Malay", "mt": "Maltese", "nb": "Norwegian", "ne": "Nepali",
    "nn": "Norwegian", "pa": "Punjabi", "si": "Sinhala", "sl": "Slovenian", "sq": "Albanian",
    "sr": "Serbian", "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "th": "Thai",
    "tl": "Tagalog", "ur": "Urdu", "uz": "Uzbek", "zu": "Zulu",
}


def language_name(code: str) -> str:
    """Return the English name of a base language code, or the code itself."""
    return LANGUAGE_NAMES.get(code, code)
