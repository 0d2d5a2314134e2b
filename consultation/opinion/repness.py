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
    n_statements = matrix.shape[1]
    row_group = groups[matrix.rows]
    keep = row_group >= 0
    if zero_moderated:
        keep &= ~matrix.moderated_out[matrix.cols]
    cell = row_group[keep] * n_statements + matrix.cols[keep]
    values = matrix.values[keep]
    size = n_groups * n_statements

    def count(mask):
        return np.bincount(cell[mask], minlength=size).reshape(n_groups, n_statements)

    agree, disagree = count(values == AGREE), count(values == DISAGREE)
    seen = count(np.ones(len(values), dtype=bool))
    if zero_moderated:
        members = np.bincount(groups[groups >= 0], minlength=n_groups)
        seen[:, matrix.moderated_out] = members[:, None]
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


def _beats_best_agree(stats: dict, g: int, c: int, best: int | None) -> bool:
    s = {key: stats[key][g] for key in ("na", "nd", "ra", "rat", "pa", "pat")}
    if s["na"][c] == 0 and s["nd"][c] == 0:
        return False
    if best is not None and s["ra"][best] > 1.0:
        metric = s["ra"] * s["rat"] * s["pa"] * s["pat"]
        return bool(metric[c] > metric[best])
    if best is not None:
        return bool(s["pa"][c] * s["pat"][c] > s["pa"][best] * s["pat"][best])
    return bool(s["pat"][c] > Z_90 or (s["ra"][c] > 1.0 and s["pa"][c] > 0.5))


def _metric(item: dict) -> float:
    return item["repness"] * item["repness_test"] * item["p_success"] * item["p_test"]


def select_representative(stats: dict, g: int, statement_ids, candidates) -> list[dict]:
    """Pol.is's select-rep-comments for one group, over the candidate columns in order."""
    significant = ((stats["rat"][g] > Z_90) & (stats["pat"][g] > Z_90)) | (
        (stats["rdt"][g] > Z_90) & (stats["pdt"][g] > Z_90)
    )
    best_agree = None
    for c in candidates:
        if _beats_best_agree(stats, g, c, best_agree):
            best_agree = c
    head = []
    if best_agree is not None:
        head = [_finalize(stats, g, best_agree, statement_ids[best_agree])]
        head[0].update(best_agree=True, n_agree=int(stats["na"][g, best_agree]))
    sufficient = [c for c in candidates if significant[c]]
    if not sufficient:
        if head or not len(candidates):
            return head
        strength = np.maximum(stats["rat"][g], stats["rdt"][g])[candidates]
        best = candidates[int(np.argmax(strength))]  # the first of equal scores, as Pol.is
        return [_finalize(stats, g, best, statement_ids[best])]
    rest = [_finalize(stats, g, c, statement_ids[c]) for c in sufficient if c != best_agree]
    chosen = (head + sorted(rest, key=_metric, reverse=True))[:PICK_MAX]
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
