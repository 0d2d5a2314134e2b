"""Opinion groups: our Pol.is pipeline against red-dwarf 0.4 on the same votes, same run.

    .venv/bin/python -m bench.synthesis            # every size, red-dwarf where it can finish
    .venv/bin/python -m bench.synthesis --quick    # 1,000 x 100, 10,000 x 500, the conversations
    .venv/bin/python -m bench.synthesis --profile  # our seconds per function, no red-dwarf

Each measure runs in its own process, so "peak memory" is that process's peak resident size
(Python, the libraries, the generated votes and the computation). Both sides are timed the same
way: imports done and the votes in memory in each one's input format before the clock starts
(ours: (participant, statement, vote) arrays; red-dwarf: its list of vote dicts), one untimed
run on the first 5,000 votes first (first-call costs: lazy imports, thread pools), then the
median of the repetitions (3; 9 up to 10^6 cells and on the conversations; red-dwarf once past
5 x 10^6 cells) of the whole computation, the matrix built from that input included (ours:
build_vote_matrix; red-dwarf: its pandas pivot). ARI is the adjusted Rand index of the
groups against the planted groups (participants with at least 7 votes) or Pol.is's group-id
column. Red-dwarf is skipped at 100,000 x 2,000: its pivot is dense (1.6 GB of float64 before
PCA) and its silhouette is computed on every participant (10^10 distances per k).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# Shared data sits beside the project: ../shared from the project root.
POLIS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polis"
CONVERSATIONS = ["15-per-hour-seattle", "scoop-hivemind.taxes"]
# (participants, statements, fill): fills not given by the issue are chosen so that the
# planted groups are recoverable at all (see the oracle ARI printed with each case).
PLANTED = [
    (1_000, 100, 0.5),
    (10_000, 500, 0.1),
    (10_000, 2_000, 0.02),
    (10_000, 2_000, 0.10),
    (33_422, 783, 0.05),
    (100_000, 2_000, 0.01),
]
QUICK = PLANTED[:2]
# How sharply the planted groups disagree on a splitting statement (agree 0.9 against 0.1).
# At 0.8 against 0.2, 100,000 x 2,000 at 1% (about 17 votes a person) leaves the groups
# unrecoverable by any method (oracle ARI 0.745): the ARI measured the noise, not the method.
# At 0.9, every case's oracle is at least 0.94, so the ARI target can tell a method apart.
SPLIT = 0.9
RED_DWARF_MAX_CELLS = 100_000 * 2_000 - 1
SMALL_REPEAT_FACTOR = 3  # up to 1,000,000 cells (and the conversations)


# --- Worker: one measure in this process -------------------------------------------------


def _votes(case: dict):
    """(participants, statements, values, moderated ids, reference groups by participant)."""
    if "conversation" in case:
        return _conversation(case["conversation"])
    from bench._synthesis_data import planted_votes

    planted = planted_votes(case["n"], case["m"], case["fill"], seed=1, split=SPLIT)
    m = planted.matrix
    reference = dict(zip(m.participant_ids.tolist(), planted.groups.tolist(), strict=True))
    return m.participant_ids[m.rows], m.statement_ids[m.cols], m.values, [], reference


def _conversation(name: str):
    import pandas as pd

    votes = pd.read_csv(POLIS / name / "votes.csv")
    votes = votes.sort_values("timestamp", kind="stable").drop_duplicates(
        ["comment-id", "voter-id"], keep="last"
    )
    comments = pd.read_csv(POLIS / name / "comments.csv")
    groups = pd.read_csv(POLIS / name / "participants-votes.csv").dropna(subset=["group-id"])
    reference = dict(zip(groups["participant"], groups["group-id"].astype(int), strict=True))
    moderated = comments.loc[comments["moderated"] == -1, "comment-id"].tolist()
    return (
        votes["voter-id"].to_numpy(),
        votes["comment-id"].to_numpy(),
        votes["vote"].to_numpy(),
        moderated,
        reference,
    )


def _ari(labels: dict, reference: dict) -> float:
    from sklearn.metrics import adjusted_rand_score

    both = sorted(set(labels) & set(reference))
    return float(adjusted_rand_score([reference[p] for p in both], [labels[p] for p in both]))


WARM_UP_VOTES = 5_000


def _ours(votes, repeat: int) -> tuple[list[float], dict, int]:
    from consultation.opinion.matrix import build_vote_matrix
    from consultation.opinion.pipeline import compute_opinion_groups

    people, statements, values, moderated, _ = votes
    head = slice(0, WARM_UP_VOTES)
    compute_opinion_groups(build_vote_matrix(people[head], statements[head], values[head]))
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = compute_opinion_groups(build_vote_matrix(people, statements, values, moderated))
        times.append(time.perf_counter() - started)
    labels = {
        int(p): int(g)
        for p, g in zip(result.participant_ids, result.participant_groups, strict=True)
        if g >= 0
    }
    return times, labels, result.n_groups


def _red_dwarf(votes, repeat: int) -> tuple[list[float], dict, int]:
    import warnings

    from reddwarf.implementations.polis import run_pipeline

    warnings.filterwarnings("ignore")
    people, statements, values, moderated, _ = votes
    records = [
        {"participant_id": int(p), "statement_id": int(s), "vote": int(v), "modified": 0}
        for p, s, v in zip(people, statements, values, strict=True)
    ]
    run_pipeline(votes=records[:WARM_UP_VOTES], random_state=0)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run_pipeline(votes=records, mod_out_statement_ids=moderated, random_state=0)
        times.append(time.perf_counter() - started)
    clusters = result.participants_df["cluster_id"].dropna()
    labels = {int(p): int(g) for p, g in clusters.items()}
    return times, labels, len(set(labels.values()))


def _oracle(votes) -> float | None:
    """ARI of assigning each participant to the planted group whose observed agree rates
    make their votes likeliest: how recoverable the planted groups are at all."""
    people, statements, values, _, reference = votes
    if not reference or "conversation" in str(reference):
        return None
    groups = np.array([reference[int(p)] for p in people])
    n_groups, n_statements = groups.max() + 1, int(statements.max()) + 1
    rows = np.unique(people, return_inverse=True)[1]
    score = np.zeros((rows.max() + 1, n_groups))
    voted = values != 0
    for g in range(n_groups):
        mine = groups == g
        agree = np.bincount(statements[mine & (values == 1)], minlength=n_statements) + 1
        disagree = np.bincount(statements[mine & (values == -1)], minlength=n_statements) + 1
        p_agree = agree / (agree + disagree)
        log_odds = np.where(
            values == 1, np.log(p_agree[statements]), np.log(1 - p_agree[statements])
        )
        score[:, g] = np.bincount(rows, weights=log_odds * voted, minlength=len(score))
    truth = np.zeros(len(score), dtype=int)
    truth[rows] = groups
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(truth, score.argmax(axis=1)))


def worker(spec: dict) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    votes = _votes(spec["case"])
    if spec["implementation"] == "profile":
        return {"profile": _profile(votes)}
    run = _ours if spec["implementation"] == "ours" else _red_dwarf
    times, labels, groups = run(votes, spec["repeat"])
    out = {
        "seconds": statistics.median(times),
        "times": times,
        "groups": groups,
        "ari": _ari(labels, votes[4]),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "votes": len(votes[2]),
    }
    if spec["implementation"] == "ours" and "conversation" not in spec["case"]:
        out["oracle_ari"] = _oracle(votes)
    return out


def _profile(votes) -> str:
    """Our computation under cProfile: the functions of consultation/opinion, by cumulative
    time (cProfile's own cost inflates the many small calls)."""
    import cProfile
    import io
    import pstats

    from consultation.opinion.matrix import build_vote_matrix
    from consultation.opinion.pipeline import compute_opinion_groups

    people, statements, values, moderated, _ = votes
    compute_opinion_groups(build_vote_matrix(people, statements, values, moderated))
    profiler = cProfile.Profile()
    profiler.enable()
    compute_opinion_groups(build_vote_matrix(people, statements, values, moderated))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats("consultation/opinion", 12)
    return out.getvalue()


# --- Driver ------------------------------------------------------------------------------


def measure(case: dict, implementation: str, repeat: int, timeout: int) -> dict | str:
    spec = json.dumps({"case": case, "implementation": implementation, "repeat": repeat})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.synthesis", "--worker", spec],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"abandonné après {timeout} s"
    if done.returncode != 0:
        return "échec : " + done.stderr.strip().splitlines()[-1][:120]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _label(case: dict) -> str:
    if "conversation" in case:
        return f"Pol.is {case['conversation']}"
    return f"{case['n']:,} x {case['m']:,} à {case['fill']:.0%}".replace(",", " ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="our time per function")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    cases = [{"n": n, "m": m, "fill": f} for n, m, f in (QUICK if args.quick else PLANTED)]
    cases += [{"conversation": name} for name in CONVERSATIONS]
    if args.profile:
        for case in cases:
            result = measure(case, "profile", 1, timeout=1800)
            print(_label(case), result if isinstance(result, str) else result["profile"])
        return 0
    print("cas | nous : s (médiane), Mo crête, groupes, ARI | red-dwarf 0.4 : idem | rapport")
    for case in cases:
        cells = case.get("n", 0) * case.get("m", 0)
        # Runs of a few milliseconds: more of them, on both sides, for a steadier median.
        repeat = args.repeat * SMALL_REPEAT_FACTOR if cells <= 1_000_000 else args.repeat
        ours = measure(case, "ours", repeat, timeout=1800)
        if cells > RED_DWARF_MAX_CELLS:
            theirs = "non lancé (matrice dense de 1,6 Go, silhouette sur 10^10 distances)"
        else:
            theirs = measure(case, "red-dwarf", 1 if cells > 5_000_000 else repeat, 1800)
        print(_row(case, ours, theirs), flush=True)
    return 0


def _row(case: dict, ours, theirs) -> str:
    def cell(result) -> str:
        if isinstance(result, str):
            return result
        return (
            f"{result['seconds']:.3f} s, {result['peak_mb']:.0f} Mo, {result['groups']} groupes, "
            f"ARI {result['ari']:.3f}"
        )

    ratio = ""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        ratio = f"x{theirs['seconds'] / ours['seconds']:.1f}"
    oracle = ""
    if isinstance(ours, dict) and ours.get("oracle_ari") is not None:
        oracle = f" (ARI oracle {ours['oracle_ari']:.3f})"
    return f"{_label(case)}{oracle} | {cell(ours)} | {cell(theirs)} | {ratio}"


if __name__ == "__main__":
    sys.exit(main())
