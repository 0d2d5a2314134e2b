"""Automatic themes on 1,000, 5,000 and 20,000 French contributions: seconds per stage.

    .venv/bin/python -m bench.themes            # 1,000, 5,000, 20,000 texts
    .venv/bin/python -m bench.themes --quick    # 1,000 texts

The texts come from the demo's templates (consultation/demo/content.py: proposals per theme,
questions, testimonies, over the real communes of the demo), drawn with a fixed seed, so every
run groups the same texts. The run is in memory (consultation.themes.group_texts, the function
the regrouping action calls), without the database: what is measured is the text work. The
"planted" ARI compares the themes found with the demo theme each proposal was written for
(questions and testimonies have their own template families); it says whether the grouping
follows the subjects, not only the wording.
"""

import argparse
import resource
import time
from random import Random

from sklearn.metrics import adjusted_rand_score

SEED = 2024


def texts(n: int) -> tuple[list[str], list[str]]:
    import django

    django.setup()
    from consultation.demo import content
    from consultation.demo.content import Place
    from consultation.demo.territory import COMMUNES

    rng = Random(SEED)
    out, truth = [], []
    while len(out) < n:
        place = Place(rng.choice(COMMUNES))
        roll = rng.random()
        if roll < 0.6:
            theme = rng.choice(content.THEMES)[0]
            title, body = content.proposal_text(rng, theme, place)
            label = theme
        elif roll < 0.8:
            label, title, body = content.question_text(rng, place)
            label = f"question:{label}"
        else:
            title, body = content.testimony_text(rng, place)
            label = "témoignage"
        out.append(f"{title}\n{body}")
        truth.append(str(label))
    return out, truth


def measure(n: int) -> dict:
    from consultation.themes import group_texts

    corpus, truth = texts(n)
    started = time.perf_counter()
    grouping = group_texts(corpus)
    total = time.perf_counter() - started
    return {
        "n": n,
        "total": total,
        "stages": grouping.timings,
        "themes": grouping.size,
        "ari": adjusted_rand_score(truth, grouping.labels),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")
    os.environ.setdefault("DEBUG", "true")  # reads the demo's texts only: no production checks
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    sizes = [1_000] if parser.parse_args().quick else [1_000, 5_000, 20_000]
    print("textes | total s | étapes (s) | thèmes | ARI / thèmes des modèles | mémoire crête Mo")
    for n in sizes:
        row = measure(n)
        stages = ", ".join(f"{name} {seconds:.2f}" for name, seconds in row["stages"].items())
        count = f"{row['n']:,}".replace(",", " ")
        print(
            f"{count} | {row['total']:.2f} | {stages} | {row['themes']} | "
            f"{row['ari']:.3f} | {row['peak_mb']:.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
