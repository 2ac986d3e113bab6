"""Cohen's and Fleiss' kappa, written out: neither statsmodels nor scikit-learn is installed here.
The formulas are the textbook ones (Cohen 1960; Fleiss 1971) and the tests check them against the
worked examples of their Wikipedia articles (0.4 and 0.210)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Agreement of two raters on the same items beyond chance; None when chance agreement is total
    (both raters gave one and the same category throughout: kappa is 0/0 there)."""
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


def fleiss_kappa(table: Sequence[Sequence[int]]) -> float | None:
    """``table[i][j]``: how many raters put item i in category j; every row sums to the same n >= 2."""
    if not table:
        return None
    raters = sum(table[0])
    if raters < 2 or any(sum(row) != raters for row in table):
        raise ValueError("every item needs the same number of raters, at least 2")
    items = len(table)
    categories = len(table[0])
    p_j = [sum(row[j] for row in table) / (items * raters) for j in range(categories)]
    p_i = [(sum(c * c for c in row) - raters) / (raters * (raters - 1)) for row in table]
    p_bar = sum(p_i) / items
    p_e = sum(p * p for p in p_j)
    if p_e >= 1:
        return None
    return (p_bar - p_e) / (1 - p_e)
