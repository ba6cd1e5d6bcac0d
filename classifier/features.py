"""The fitted TF-IDF vectorizers' ``transform``, done on whole batches of posts with array operations.

scikit-learn's vectorizers build each n-gram of each post as a Python string and look it up in a dict:
most of the time classifying takes. :class:`CompiledVectorizer` gives the same matrix from the same
fitted vectorizer another way: every character (or word) that occurs in the vocabulary becomes a small
integer, every n-gram one integer packed from its parts, found by binary search among the vocabulary's
packed terms. An n-gram with a part the vocabulary never uses cannot be a term and is dropped unseen.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

# scikit-learn's character analyzer first turns each run of two or more whitespace characters into a space.
_WHITE_SPACES = re.compile(r"\s\s+")


class CompiledVectorizer:
    """A fitted :class:`~sklearn.feature_extraction.text.TfidfVectorizer`'s ``transform``, faster.

    Only the settings this project uses are supported (character or word n-grams, no lower-casing,
    accent stripping, stop words or custom analyzer); others raise ``ValueError``.

    Examples
    --------
    >>> texts = ["github is down", "is github down?", "github works"]
    >>> fitted = TfidfVectorizer(analyzer="char", ngram_range=(3, 4), lowercase=False).fit(texts)
    >>> fast = CompiledVectorizer(fitted).transform(["is github down for you"])
    >>> bool(abs(fast - fitted.transform(["is github down for you"])).max() < 1e-12)
    True
    """

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        unsupported = {
            "analyzer": vectorizer.analyzer not in ("char", "word"), "lowercase": vectorizer.lowercase,
            "strip_accents": vectorizer.strip_accents is not None, "stop_words": vectorizer.stop_words is not None,
            "preprocessor": vectorizer.preprocessor is not None, "tokenizer": vectorizer.tokenizer is not None,
            "binary": vectorizer.binary, "use_idf": not vectorizer.use_idf, "norm": vectorizer.norm != "l2",
        }
        if any(unsupported.values()):
            raise ValueError(f"CompiledVectorizer does not support these settings: "
                             f"{sorted(name for name, bad in unsupported.items() if bad)}")
        self.chars = vectorizer.analyzer == "char"
        self.token_pattern = re.compile(vectorizer.token_pattern)
        self.ngram_range = vectorizer.ngram_range
        self.dtype = vectorizer.dtype
        self.sublinear_tf = vectorizer.sublinear_tf
        self.idf = vectorizer.idf_
        vocabulary = vectorizer.vocabulary_
        self.n_terms = len(vocabulary)
        term_parts = [list(term) if self.chars else term.split(" ") for term in vocabulary]
        units = sorted(set(itertools.chain.from_iterable(term_parts)))
        unit_ids = {unit: i for i, unit in enumerate(units)}
        if self.chars:
            self.code_points = np.array([ord(unit) for unit in units], dtype=np.int64)  # sorted, as units are
        else:
            self.unit_ids = unit_ids
        # Parts are packed as digits 1..len(units) in base len(units) + 1: no digit is 0, so n-grams of
        # different lengths never share a key.
        self.base = len(units) + 1
        if self.base ** self.ngram_range[1] >= 2 ** 63:
            raise ValueError(f"{len(units)} distinct n-gram parts are too many to pack {self.ngram_range[1]} in 63 bits")
        lengths = np.fromiter(map(len, term_parts), dtype=np.int64, count=len(term_parts))
        ids = np.fromiter(map(unit_ids.__getitem__, itertools.chain.from_iterable(term_parts)), dtype=np.int64,
                          count=int(lengths.sum()))
        first = np.cumsum(lengths) - lengths
        keys = np.zeros(len(term_parts), dtype=np.int64)
        for offset in range(int(lengths.max(initial=0))):
            longer = lengths > offset
            keys[longer] = keys[longer] * self.base + ids[first[longer] + offset] + 1
        order = np.argsort(keys)
        self.keys = keys[order]
        self.columns = np.fromiter(vocabulary.values(), dtype=np.int32, count=len(vocabulary))[order]

    def _unit_ids(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every doc's parts (characters or tokens) as ids (-1: not in the vocabulary), concatenated, and
        each doc's number of parts."""
        if self.chars:
            docs = [_WHITE_SPACES.sub(" ", doc) for doc in docs]
            lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
            codes = np.frombuffer("".join(docs).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
            where = np.minimum(np.searchsorted(self.code_points, codes), len(self.code_points) - 1)
            return np.where(self.code_points[where] == codes, where, -1), lengths
        tokens = [self.token_pattern.findall(doc) for doc in docs]
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(docs))
        flat = itertools.chain.from_iterable(tokens)
        return np.fromiter(map(self.unit_ids.get, flat, itertools.repeat(-1)), dtype=np.int64,
                           count=int(lengths.sum())), lengths

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        """The TF-IDF matrix of ``docs``: ``vectorizer.transform(docs)``'s values, as a CSR matrix."""
        if not docs:
            return sp.csr_matrix((0, self.n_terms), dtype=self.dtype)
        ids, lengths = self._unit_ids(docs)
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int32), lengths)
        room = np.cumsum(lengths)[doc_of] - np.arange(len(ids))  # parts from each position to its doc's end
        key = np.zeros(len(ids), dtype=np.int64)
        known = np.ones(len(ids), dtype=bool)
        rows, columns = [], []
        low, high = self.ngram_range
        for n in range(1, high + 1):
            # The keys and known-ness of the n-grams at every start, from those of the (n - 1)-grams.
            starts = len(ids) - n + 1
            if starts <= 0:
                break
            last = ids[n - 1:]
            key = key[:starts] * self.base + last + 1
            known = known[:starts] & (last >= 0)
            if n < low:
                continue
            start = np.flatnonzero(known & (room[:starts] >= n))
            found = np.minimum(np.searchsorted(self.keys, key[start]), len(self.keys) - 1)
            hit = np.flatnonzero(self.keys[found] == key[start])
            rows.append(doc_of[start[hit]])
            columns.append(self.columns[found[hit]])
        row, column = (np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32) for parts in (rows, columns))
        counts = sp.csr_matrix((np.ones(len(row), dtype=self.dtype), (row, column)),
                               shape=(len(docs), self.n_terms))
        counts.sum_duplicates()
        # As TfidfTransformer.transform does, in the same order and dtype.
        if self.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        counts.data *= self.idf[counts.indices]
        return normalize(counts, norm="l2", copy=False)
