"""Similarity of two affordance words ("hold" vs "grasp"), for Affordance-R1's recognition term.

Affordance-R1 pays the recognition term when word2vec similarity (GoogleNews-vectors-negative300, through
gensim's `KeyedVectors.similarity`) of the predicted and ground-truth affordance exceeds 0.8. Two backends:

- `Word2VecSimilarity(path)`: the seed's, for users who have the vectors file (`pip install gensim`, extra
  "affordance"). A phrase ("sit on", "sit_on") is scored with `n_similarity` over its in-vocabulary words;
  a word outside the vocabulary scores 0.
- `LexicalSimilarity()`, the default, which needs no download: 1.0 when the two normalise to the same lemma
  phrase or fall in one group of `SYNONYMS`, else 0.0. Normalising lower-cases, turns "_" and "-" into
  spaces, and lemmatises each word with `IRREGULAR` and the suffix rules of `lemma` ("holding" -> "hold",
  "cuts" -> "cut", "sitting on" -> "sit on"). The synonym groups are deliberately narrow (near-identical
  verbs of the AGD20K / UMD / ReasonAff label sets): word2vec above 0.8 is itself close to an exact match.
  Scores from this backend are therefore an approximation of the seed's, not the same numbers.

`similarity_backend(path)` picks one: word2vec when a path is given, else lexical.
"""

from __future__ import annotations

import re
from typing import Protocol

# Each group: words (lemmas) that count as the same affordance. Group order does not matter.
SYNONYMS: tuple[frozenset[str], ...] = tuple(
    frozenset(group)
    for group in (
        {"grasp", "grip", "grab", "clutch"},
        {"hold", "hold onto"},
        {"wrap grasp", "wrap"},
        {"cut", "slice", "chop"},
        {"sit on", "sit", "seat"},
        {"lie on", "lie", "lay on"},
        {"contain", "store"},
        {"press", "push"},
        {"drink with", "drink", "sip"},
        {"type on", "type"},
        {"hit", "strike"},
        {"pound", "hammer"},
        {"brush with", "brush"},
        {"look out", "look through"},
        {"talk on", "talk"},
        {"text on", "text"},
        {"write", "write with"},
        {"scoop", "ladle"},
        {"stir", "mix"},
        {"wash", "clean"},
        {"throw", "toss"},
        {"pick up", "lift up"},
        {"take photo", "photograph"},
        {"open", "unlock"},
    )
)
IRREGULAR = {
    "held": "hold",
    "sat": "sit",
    "lay": "lie",
    "lain": "lie",
    "lying": "lie",
    "ate": "eat",
    "eaten": "eat",
    "caught": "catch",
    "threw": "throw",
    "thrown": "throw",
    "rode": "ride",
    "ridden": "ride",
    "wrote": "write",
    "written": "write",
    "took": "take",
    "taken": "take",
    "swung": "swing",
    "drank": "drink",
    "drunk": "drink",
    "struck": "strike",
}
_KNOWN = frozenset(word for group in SYNONYMS for phrase in group for word in phrase.split())
_SEPARATORS = re.compile(r"[\s_\-]+")


class WordSimilarity(Protocol):
    """Anything with `similarity(a, b) -> float`; Affordance-R1 pays when it exceeds 0.8."""

    def similarity(self, a: str, b: str) -> float:
        """How similar two affordance words or phrases are, in [0, 1] (cosine for word2vec)."""
        ...


def lemma(word: str) -> str:
    """A verb's lemma by rule: irregular table, then -ies / -es / -s / -ing / -ed with e-restoration."""
    word = word.lower()
    if word in IRREGULAR or word in _KNOWN:
        return IRREGULAR.get(word, word)
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if not word.endswith(suffix) or len(word) - len(suffix) < 2 or word.endswith("ss"):
            continue
        stem = word[: -len(suffix)] + replacement
        for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else None):
            if candidate in _KNOWN:
                return candidate
        return stem
    return word


def normalize_phrase(text: str) -> str:
    """Lower-cased, "_"/"-" as spaces, each word lemmatised: "Sitting_On" -> "sit on"."""
    return " ".join(lemma(w) for w in _SEPARATORS.split(str(text).strip()) if w)


class LexicalSimilarity:
    """The default backend: same lemma phrase or same `SYNONYMS` group -> 1.0, else 0.0."""

    name = "lexical"

    def similarity(self, a: str, b: str) -> float:
        """1.0 for the same affordance (lemma or synonym), else 0.0."""
        a, b = normalize_phrase(a), normalize_phrase(b)
        if not a or not b:
            return 0.0
        if a == b:
            return 1.0
        return float(any(a in group and b in group for group in SYNONYMS))


class Word2VecSimilarity:
    """The seed's backend: gensim KeyedVectors loaded from a word2vec file (GoogleNews: binary=True)."""

    name = "word2vec"

    def __init__(self, path: str, binary: bool | None = None):
        """Load vectors from `path`; `binary` defaults to True for a .bin file."""
        try:
            from gensim.models import KeyedVectors
        except ImportError as err:
            raise ImportError(
                "word2vec similarity needs gensim: pip install gensim (or the 'affordance' extra)"
            ) from err
        binary = path.endswith(".bin") if binary is None else binary
        self.vectors = KeyedVectors.load_word2vec_format(path, binary=binary)

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of the two phrases' in-vocabulary words; 0.0 if either has none."""
        words_a = [w for w in _SEPARATORS.split(str(a).strip()) if w in self.vectors]
        words_b = [w for w in _SEPARATORS.split(str(b).strip()) if w in self.vectors]
        if not words_a or not words_b:
            return 0.0
        return float(self.vectors.n_similarity(words_a, words_b))


def similarity_backend(vectors_path: str | None = None) -> WordSimilarity:
    """word2vec from `vectors_path` when given, else the lexical fallback."""
    return Word2VecSimilarity(vectors_path) if vectors_path else LexicalSimilarity()
