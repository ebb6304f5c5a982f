"""Affordance word similarity (metrics/word_similarity.py): the lexical fallback and the backend choice."""

from __future__ import annotations

import pytest

from paddlemix.metrics.word_similarity import LexicalSimilarity, lemma, normalize_phrase, similarity_backend


@pytest.mark.parametrize(
    "word, expected",
    [
        ("holding", "hold"),
        ("cutting", "cut"),
        ("cuts", "cut"),
        ("sitting", "sit"),
        ("writes", "write"),
        ("held", "hold"),
        ("pressed", "press"),
        ("press", "press"),
        ("pours", "pour"),
        ("lies", "lie"),
    ],
)
def test_lemma(word, expected):
    assert lemma(word) == expected


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("hold", "hold", 1.0),
        ("Holding", "hold", 1.0),  # case and inflection
        ("sit_on", "sitting on", 1.0),  # separators
        ("grasp", "grip", 1.0),  # synonyms
        ("sit", "sit on", 1.0),
        ("hold", "cut", 0.0),
        ("hold", "grasp", 0.0),  # word2vec puts these well below 0.8
        ("", "hold", 0.0),
    ],
)
def test_lexical_similarity(a, b, expected):
    assert LexicalSimilarity().similarity(a, b) == expected


def test_backend_choice():
    assert isinstance(similarity_backend(None), LexicalSimilarity)
    assert normalize_phrase("Wrap-Grasp") == "wrap grasp"


def test_word2vec_backend_with_a_tiny_vectors_file(tmp_path):
    pytest.importorskip("gensim")
    path = tmp_path / "vectors.txt"
    path.write_text("3 2\nhold 1.0 0.0\ngrasp 0.9 0.1\ncut 0.0 1.0\n")
    backend = similarity_backend(str(path))
    assert backend.similarity("hold", "grasp") > 0.8
    assert backend.similarity("hold", "cut") < 0.1
    assert backend.similarity("hold", "unknownword") == 0.0
