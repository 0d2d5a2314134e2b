"""Group French texts into themes, offline: TF-IDF, LSA, k-means, labels from top terms.

Deterministic (seeded). Each stage is timed, for bench/synthesis. No text leaves the machine.
"""

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from consultation.textsim import STOP_WORDS, WORD, _fold, stem, tfidf

SEED = 2024
LSA_DIMENSIONS = 100
TYPICAL_PER_THEME = 3
TERMS_PER_THEME = 5


@dataclass
class Grouping:
    labels: np.ndarray  # the theme index of each text
    terms: list[list[str]]  # per theme, its characteristic words, most characteristic first
    typical: list[list[int]]  # per theme, the indices of its most typical texts
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.terms)


def _candidate_ks(n: int) -> list[int]:
    # People read themes: beyond about thirty, or sqrt(n/2) for smaller campaigns, the
    # silhouette's preference for many tight clusters stops helping them.
    ceiling = min(30, max(3, round((n / 2) ** 0.5)), n // 4)
    return [k for k in (3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30) if 2 <= k <= ceiling] or [
        max(1, min(2, n))
    ]


def choose_k(points: np.ndarray, *, seed: int = SEED) -> int:
    """The number of themes with the best silhouette (on a sample, for large inputs)."""
    candidates = _candidate_ks(len(points))
    if len(candidates) == 1:
        return candidates[0]
    rng = np.random.default_rng(seed)
    sample = points if len(points) <= 3000 else points[rng.choice(len(points), 3000, False)]
    best_k, best_score = candidates[0], -2.0
    for k in candidates:
        labels = KMeans(k, n_init=2, random_state=seed).fit_predict(sample)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(sample, labels, metric="cosine")
        if score > best_score + 1e-9:
            best_k, best_score = k, score
    return best_k


def display_words(texts: list[str]) -> dict[str, str]:
    """For each stem, the word form people used most (labels show words, not stems)."""
    forms: dict[str, Counter] = defaultdict(Counter)
    for text in texts:
        for word in WORD.findall(_fold(text)):
            if word not in STOP_WORDS:
                forms[stem(word)][word] += 1
    return {stem: counter.most_common(1)[0][0] for stem, counter in forms.items()}


def group_texts(texts: list[str], *, k: int | None = None, seed: int = SEED) -> Grouping:
    """Themes of `texts`; `k` themes, or as many as the silhouette prefers."""
    timings = {}
    started = time.perf_counter()
    if not texts:
        return Grouping(np.zeros(0, dtype=int), [], [], timings)
    matrix, vectorizer = tfidf(texts, min_df=2 if len(texts) >= 50 else 1)
    timings["tf-idf"] = time.perf_counter() - started

    started = time.perf_counter()
    dims = min(LSA_DIMENSIONS, matrix.shape[1] - 1, len(texts) - 1)
    if dims >= 2:
        points = TruncatedSVD(dims, random_state=seed).fit_transform(matrix)
    else:
        points = matrix.toarray()
    points = normalize(points)
    timings["lsa"] = time.perf_counter() - started

    started = time.perf_counter()
    k = min(k or choose_k(points, seed=seed), len(texts))
    timings["choix du nombre de thèmes"] = time.perf_counter() - started

    started = time.perf_counter()
    model = KMeans(k, n_init=4, random_state=seed).fit(points)
    labels = model.labels_
    timings["k-moyennes"] = time.perf_counter() - started

    started = time.perf_counter()
    words = display_words(texts)
    features = vectorizer.get_feature_names_out()
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    terms, typical = [], []
    for theme in range(k):
        members = np.flatnonzero(labels == theme)
        inside = np.asarray(matrix[members].mean(axis=0)).ravel()
        # Characteristic, not merely frequent: weight inside the theme beyond its weight
        # everywhere, so words every contribution uses do not name every theme.
        weights = inside * np.log1p(inside / (overall + 1e-9))
        top = np.argsort(-weights, kind="stable")[:TERMS_PER_THEME]
        terms.append([words.get(features[i], features[i]) for i in top if weights[i] > 0])
        closeness = points[members] @ model.cluster_centers_[theme]
        order = np.argsort(-closeness, kind="stable")[:TYPICAL_PER_THEME]
        typical.append([int(members[i]) for i in order])
    timings["intitulés"] = time.perf_counter() - started
    return Grouping(labels, terms, typical, timings)


def label_from(terms: list[str]) -> str:
    if not terms:
        return "Thème sans mot caractéristique"
    words = terms[:3]
    return " · ".join([words[0].capitalize(), *words[1:]])[:120]
