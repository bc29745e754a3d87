"""Every language seedsearch knows: its name, its Snowball stemmer, its stop words and
the few rules of its own (French elision), in one registry that indexing, querying,
highlighting, detection and the facet all ask. A language without a stemmer is still
tokenised and folded; Chinese, Japanese and Korean are split into character bigrams
by the tokenizer, whatever the passage's language."""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.lang.stopwords import stoplists

DEFAULT = "en"  # a passage too short to tell, in a document too short to tell

# Kept in the index (phrases stay exact) but weighed low at query time. English keeps
# its own short list; the others are Snowball's (as Whoosh ships them).
ENGLISH_STOP_WORDS = frozenset(
    (
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "might",
        "must",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "should",
        "so",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    )
)


@dataclass(frozen=True)
class Language:
    """One language's analysis pieces."""

    code: str  # ISO 639-1, as `lang:` and the JSON write it
    name: str  # in English, as the page shows it
    stemmer: str = ""  # PyStemmer's algorithm; "" when Snowball has none
    stop_words: frozenset[str] = frozenset()
    # Articles and pronouns joined to the next word by an apostrophe (l'homme).
    elisions: frozenset[str] = frozenset()
    # English's Snowball has no accented letters, so its words are folded first (as
    # before languages were told apart); the others' stemmers read their accents.
    fold_first: bool = False


def _stops(code: str) -> frozenset[str]:
    return frozenset(stoplists.get(code, ()))


def _language(code: str, name: str, stemmer: str = "", **more) -> Language:
    return Language(code, name, stemmer, _stops(code), **more)


_FRENCH_ELISIONS = [
    "l",
    "m",
    "t",
    "qu",
    "n",
    "s",
    "j",
    "d",
    "c",
    "jusqu",
    "quoiqu",
    "lorsqu",
    "puisqu",
]
_ITALIAN_ELISIONS = "c l all dall dell nell sull coll pell gl agl dagl degl negl sugl un m t s v d"

LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "english", ENGLISH_STOP_WORDS, fold_first=True),
        _language("ar", "Arabic", "arabic"),
        _language("hy", "Armenian", "armenian"),
        _language("eu", "Basque", "basque"),
        _language("ca", "Catalan", "catalan", elisions=frozenset(["d", "l", "m", "n", "s", "t"])),
        _language("cs", "Czech", "czech"),
        _language("da", "Danish", "danish"),
        _language("nl", "Dutch", "dutch"),
        _language("eo", "Esperanto", "esperanto"),
        _language("et", "Estonian", "estonian"),
        _language("fi", "Finnish", "finnish"),
        _language("fr", "French", "french", elisions=frozenset(_FRENCH_ELISIONS)),
        _language("de", "German", "german"),
        _language("el", "Greek", "greek"),
        _language("hi", "Hindi", "hindi"),
        _language("hu", "Hungarian", "hungarian"),
        _language("id", "Indonesian", "indonesian"),
        _language("ga", "Irish", "irish", elisions=frozenset(["d", "m", "b"])),
        _language("it", "Italian", "italian", elisions=frozenset(_ITALIAN_ELISIONS.split())),
        _language("lt", "Lithuanian", "lithuanian"),
        _language("ne", "Nepali", "nepali"),
        _language("no", "Norwegian", "norwegian"),
        _language("fa", "Persian", "persian"),
        _language("pl", "Polish", "polish"),
        _language("pt", "Portuguese", "portuguese"),
        _language("ro", "Romanian", "romanian"),
        _language("ru", "Russian", "russian"),
        _language("sr", "Serbian", "serbian"),
        _language("es", "Spanish", "spanish"),
        _language("sv", "Swedish", "swedish"),
        _language("ta", "Tamil", "tamil"),
        _language("tr", "Turkish", "turkish"),
        # No Snowball stemmer: tokenised and folded, never dropped.
        _language("af", "Afrikaans"),
        _language("sq", "Albanian"),
        _language("az", "Azerbaijani"),
        _language("be", "Belarusian"),
        _language("bn", "Bengali"),
        _language("bs", "Bosnian"),
        _language("bg", "Bulgarian"),
        _language("hr", "Croatian"),
        _language("gl", "Galician"),
        _language("ka", "Georgian"),
        _language("he", "Hebrew"),
        _language("is", "Icelandic"),
        _language("kk", "Kazakh"),
        _language("lv", "Latvian"),
        _language("mk", "Macedonian"),
        _language("ms", "Malay"),
        _language("sk", "Slovak"),
        _language("sl", "Slovenian"),
        _language("sw", "Swahili"),
        _language("tl", "Tagalog"),
        _language("th", "Thai"),
        _language("uk", "Ukrainian"),
        _language("ur", "Urdu"),
        _language("vi", "Vietnamese"),
        _language("cy", "Welsh"),
        # Split into overlapping character bigrams (see analysis.py).
        _language("zh", "Chinese"),
        _language("ja", "Japanese"),
        _language("ko", "Korean"),
    )
}
CJK = frozenset({"zh", "ja", "ko"})


def language(code: str) -> Language:
    """The registry's entry for `code`; an unknown code is analysed as English."""
    return LANGUAGES.get(code) or LANGUAGES[DEFAULT]


def name_of(code: str) -> str:
    """The language's name in English ("Russian"), or the code itself if unknown."""
    found = LANGUAGES.get(code)
    return found.name if found else code
