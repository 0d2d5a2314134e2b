"""What each group thinks: representative statements, consensus, uncertainty.

Representativeness follows repness.clj and stats.clj. For a group g and a statement, with
na / nd agree / disagree votes and ns votes seen (passes included) among g's members:

* pa = (na + 1) / (ns + 2), pd likewise: smoothed probabilities of agreeing / disagreeing;
* pat = 2 sqrt(ns + 1) ((na + 1) / (ns + 1) - 1/2): one-proportion test, pdt likewise;
* ra = pa / ((na_rest + 1) / (ns_rest + 2)), "rest" summing the other groups: the ratio to the
  rest of the room; rat is the two-proportion z-test of the same, rd and rdt likewise;
* a statement is representative when (rat and pat) or (rdt and pdt) exceed 1.2816 (90%,
  one-sided); those are sorted by ra * rat * pa * pat (of the stronger side), the group's
  "best agree" statement is put first, five are kept, agreements before disagreements. A group
  with no significant statement gets its best one all the same.

Group-aware consensus (conversation.clj) is, per statement, the product over groups of
(agrees + 1) / (seen + 2): high only if every group tends to agree. The same product over
disagrees ranks shared rejections.

Uncertainty: Pol.is's math has none; its report shows the statements people pass on. Here the
uncertain statements are those at least 30% of voters passed on, most passed first (pass share,
not closeness to 50-50: a split statement is already shown by repness as dividing groups).
"""

from dataclasses import dataclass

import numpy as np

from consultation.opinion.matrix import AGREE, DISAGREE, PASS, VoteMatrix

Z_90 = 1.2816
PICK_MAX = 5
UNCERTAIN_PASS_SHARE = 0.3


@dataclass(frozen=True)
class GroupCounts:
    """Per group (rows) and statement (columns): agree, disagree and seen counts."""

    agree: np.ndarray
    disagree: np.ndarray
    seen: np.ndarray


def count_by_group(matrix: VoteMatrix, groups: np.ndarray, n_groups: int, zero_moderated: bool):
    """Vote counts per group; `groups[row]` is -1 for unclustered participants.

    With `zero_moderated`, moderated-out columns read as a pass by every member, as in Pol.is's
    rating matrix (used for repness); without, the raw votes (used for consensus).
    """
    counts = _raw_counts(matrix, groups, n_groups)
    return moderated_as_passes(counts, matrix, groups, n_groups) if zero_moderated else counts


def _raw_counts(matrix: VoteMatrix, groups: np.ndarray, n_groups: int) -> GroupCounts:
    """One pass over the votes: each (group, statement, vote) cell counted by one bincount."""
    n_statements = matrix.shape[1]
    row_group = groups[matrix.rows]
    keep = row_group >= 0
    cell = row_group[keep] * n_statements + matrix.cols[keep]
    cell = cell * 3 + (matrix.values[keep] - DISAGREE)  # 0 disagree, 1 pass, 2 agree
    counts = np.bincount(cell, minlength=n_groups * n_statements * 3)
    counts = counts.reshape(n_groups, n_statements, 3)
    disagree, agree = counts[..., DISAGREE - DISAGREE], counts[..., AGREE - DISAGREE]
    return GroupCounts(agree, disagree, counts.sum(axis=2))


def moderated_as_passes(counts: GroupCounts, matrix: VoteMatrix, groups, n_groups: int):
    """The counts with every moderated-out column read as a pass by each group member."""
    moderated = matrix.moderated_out
    if not moderated.any():
        return counts
    agree, disagree, seen = counts.agree.copy(), counts.disagree.copy(), counts.seen.copy()
    agree[:, moderated] = disagree[:, moderated] = 0
    seen[:, moderated] = np.bincount(groups[groups >= 0], minlength=n_groups)[:, None]
    return GroupCounts(agree, disagree, seen)


def prop_test(successes, trials):
    successes, trials = np.asarray(successes) + 1.0, np.asarray(trials) + 1.0
    return 2 * np.sqrt(trials) * (successes / trials - 0.5)


def two_prop_test(success_in, success_out, trials_in, trials_out):
    s1, s2 = np.asarray(success_in) + 1.0, np.asarray(success_out) + 1.0
    n1, n2 = np.asarray(trials_in) + 1.0, np.asarray(trials_out) + 1.0
    pooled = (s1 + s2) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / spread
    # Pol.is returns 0 when everyone in both populations said yes (pooled proportion 1).
    return np.where(pooled == 1, 0.0, z)


def repness_stats(counts: GroupCounts) -> dict[str, np.ndarray]:
    """All of Pol.is's per group x statement statistics (arrays shaped like the counts)."""
    na, nd, ns = counts.agree, counts.disagree, counts.seen
    rest_na, rest_nd, rest_ns = (x.sum(axis=0) - x for x in (na, nd, ns))
    pa, pd = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
    return {
        "na": na,
        "nd": nd,
        "ns": ns,
        "pa": pa,
        "pd": pd,
        "pat": prop_test(na, ns),
        "pdt": prop_test(nd, ns),
        "ra": pa / ((rest_na + 1) / (rest_ns + 2)),
        "rd": pd / ((rest_nd + 1) / (rest_ns + 2)),
        "rat": two_prop_test(na, rest_na, ns, rest_ns),
        "rdt": two_prop_test(nd, rest_nd, ns, rest_ns),
    }


def _finalize(stats: dict, g: int, c: int, statement_id: int) -> dict:
    agree = stats["rat"][g, c] > stats["rdt"][g, c]
    side = ("na", "pa", "pat", "ra", "rat") if agree else ("nd", "pd", "pdt", "rd", "rdt")
    n, p, pt, r, rt = (stats[key][g, c] for key in side)
    return {
        "statement": int(statement_id),
        "repful_for": "agree" if agree else "disagree",
        "n_success": int(n),
        "n_trials": int(stats["ns"][g, c]),
        "p_success": float(p),
        "p_test": float(pt),
        "repness": float(r),
        "repness_test": float(rt),
    }


def _best_agree(stats: dict, g: int, candidates: np.ndarray) -> int | None:
    """Pol.is's best agree statement: a scan of the candidates in order in which a statement
    replaces the best so far when it beats it, by ra x rat x pa x pat while the best so far has
    ra > 1, by pa x pat otherwise; the first to pass the bar (pat > 1.2816, or ra > 1 and
    pa > 1/2) opens the scan, and statements without an agree or disagree are passed over.

    While the rule stays the same, the successive bests are the running records of one score,
    found in one pass; the scan restarts only when a new best changes the rule."""
    na, nd, ra, rat, pa, pat = (stats[key][g, candidates] for key in _SCAN_KEYS)
    voted = (na != 0) | (nd != 0)
    opening = np.flatnonzero(voted & ((pat > Z_90) | ((ra > 1.0) & (pa > 0.5))))
    if not len(opening):
        return None
    scores = {
        True: np.where(voted, ra * rat * pa * pat, -np.inf),
        False: np.where(voted, pa * pat, -np.inf),
    }
    best = opening[0]
    while True:
        score = scores[bool(ra[best] > 1.0)]
        after = score[best + 1 :]
        so_far = np.maximum.accumulate(np.concatenate(([score[best]], after[:-1])))
        records = np.flatnonzero(after > so_far) + best + 1
        switches = np.flatnonzero((ra[records] > 1.0) != (ra[best] > 1.0))
        if not len(switches):
            return int(candidates[records[-1]]) if len(records) else int(candidates[best])
        best = records[switches[0]]


_SCAN_KEYS = ("na", "nd", "ra", "rat", "pa", "pat")


def _metrics(stats: dict, g: int, columns: np.ndarray) -> np.ndarray:
    """`_metric` of `_finalize`d items, for many columns at once."""
    agree = stats["rat"][g, columns] > stats["rdt"][g, columns]
    r, rt, p, pt = (
        np.where(agree, stats[a][g, columns], stats[d][g, columns])
        for a, d in (("ra", "rd"), ("rat", "rdt"), ("pa", "pd"), ("pat", "pdt"))
    )
    return r * rt * p * pt


def _metric(item: dict) -> float:
    return item["repness"] * item["repness_test"] * item["p_success"] * item["p_test"]


def select_representative(stats: dict, g: int, statement_ids, candidates) -> list[dict]:
    """Pol.is's select-rep-comments for one group, over the candidate columns in order."""
    candidates = np.asarray(candidates, dtype=np.intp)
    significant = ((stats["rat"][g] > Z_90) & (stats["pat"][g] > Z_90)) | (
        (stats["rdt"][g] > Z_90) & (stats["pdt"][g] > Z_90)
    )
    best_agree = _best_agree(stats, g, candidates)
    head = []
    if best_agree is not None:
        head = [_finalize(stats, g, best_agree, statement_ids[best_agree])]
        head[0].update(best_agree=True, n_agree=int(stats["na"][g, best_agree]))
    sufficient = candidates[significant[candidates]]
    if not len(sufficient):
        if head or not len(candidates):
            return head
        strength = np.maximum(stats["rat"][g], stats["rdt"][g])[candidates]
        best = candidates[int(np.argmax(strength))]  # the first of equal scores, as Pol.is
        return [_finalize(stats, g, best, statement_ids[best])]
    rest = sufficient[sufficient != best_agree]
    # Python's sort, reverse or not, keeps equal items in order: so does a stable argsort.
    top = rest[np.argsort(-_metrics(stats, g, rest), kind="stable")[: PICK_MAX - len(head)]]
    chosen = head + [_finalize(stats, g, c, statement_ids[c]) for c in top]
    return [i for i in chosen if i["repful_for"] == "agree"] + [
        i for i in chosen if i["repful_for"] == "disagree"
    ]


def group_aware_consensus(counts: GroupCounts) -> tuple[np.ndarray, np.ndarray]:
    """Per statement, product over groups of (agrees + 1) / (seen + 2), and of disagrees."""
    agree = ((counts.agree + 1) / (counts.seen + 2)).prod(axis=0)
    disagree = ((counts.disagree + 1) / (counts.seen + 2)).prod(axis=0)
    return agree, disagree


def top_consensus(scores: np.ndarray, statement_ids, candidates) -> list[dict]:
    order = sorted(candidates, key=lambda c: (-scores[c], c))[:PICK_MAX]
    return [{"statement": int(statement_ids[c]), "score": float(scores[c])} for c in order]


def uncertain_statements(matrix: VoteMatrix, candidates) -> list[dict]:
    """Statements at least 30% of their voters passed on, by pass share then number seen."""
    n = matrix.shape[1]
    seen = np.bincount(matrix.cols, minlength=n)
    passes = np.bincount(matrix.cols[matrix.values == PASS], minlength=n)
    share = np.divide(passes, seen, out=np.zeros(n), where=seen > 0)
    chosen = [c for c in candidates if seen[c] and share[c] >= UNCERTAIN_PASS_SHARE]
    chosen.sort(key=lambda c: (-share[c], -seen[c], c))
    return [
        {
            "statement": int(matrix.statement_ids[c]),
            "passes": int(passes[c]),
            "seen": int(seen[c]),
            "pass_share": float(share[c]),
        }
        for c in chosen[:PICK_MAX]
    ]
