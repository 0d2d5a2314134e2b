"""Opinion groups as people see them, shared by the public results page (the published
computation, published statements only) and the moderators' dashboard (any kept computation,
every statement, hidden or pending ones marked).

The map is drawn on the server as inline SVG: one mark per participant, or, past
MAP_DOT_LIMIT participants, one mark per grid cell and group, sized by how many people it
holds, so that the page stays light. Each group has a colour AND a shape (RGAA 1.1, 3.1: colour
is never the only way to tell groups apart), its centre is labelled with its letter, and the
table that follows the map says the same in words. Participant ids never leave the server."""

from dataclasses import dataclass, replace
from string import ascii_uppercase

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consultation.models import OpinionGroups, Statement
from consultation.models.contributions import Visibility

MAP_WIDTH, MAP_HEIGHT, MAP_MARGIN = 640, 420, 28
MAP_DOT_LIMIT = 2_000
GRID_COLUMNS, GRID_ROWS = 48, 32
DOT_RADIUS = 4.0


def group_letter(index: int) -> str:
    return ascii_uppercase[index] if index < len(ascii_uppercase) else str(index + 1)


def group_name(index: int) -> str:
    return _("Groupe %(letter)s") % {"letter": group_letter(index)}


# --- marks: a colour (contrast of at least 4.5:1 on white) and a shape per group -------------


def _circle(x: float, y: float, r: float) -> str:
    return f"M{x - r:.1f} {y:.1f}a{r:.1f} {r:.1f} 0 1 0 {2 * r:.1f} 0a{r:.1f} {r:.1f} 0 1 0 {-2 * r:.1f} 0Z"  # noqa: E501


def _square(x: float, y: float, r: float) -> str:
    h = 0.85 * r
    return f"M{x - h:.1f} {y - h:.1f}h{2 * h:.1f}v{2 * h:.1f}h{-2 * h:.1f}Z"


def _triangle(x: float, y: float, r: float) -> str:
    return f"M{x:.1f} {y - 1.2 * r:.1f}l{1.1 * r:.1f} {1.9 * r:.1f}h{-2.2 * r:.1f}Z"


def _diamond(x: float, y: float, r: float) -> str:
    d = 1.2 * r
    return f"M{x:.1f} {y - d:.1f}l{d:.1f} {d:.1f}l{-d:.1f} {d:.1f}l{-d:.1f} {-d:.1f}Z"


def _cross(x: float, y: float, r: float) -> str:
    t, a = 0.4 * r, 1.15 * r  # half thickness, half length
    arm = a - t
    return (
        f"M{x - t:.1f} {y - a:.1f}h{2 * t:.1f}v{arm:.1f}h{arm:.1f}v{2 * t:.1f}h{-arm:.1f}"
        f"v{arm:.1f}h{-2 * t:.1f}v{-arm:.1f}h{-arm:.1f}v{-2 * t:.1f}h{arm:.1f}Z"
    )


@dataclass(frozen=True)
class MarkStyle:
    colour: str
    draw: object  # (x, y, radius) -> SVG path data
    shape: object  # its name and colour, said in the legend and the table

    def sample(self) -> str:
        """The mark alone, for the legend (a 16 x 16 box)."""
        return self.draw(8, 8, 5)


STYLES = [
    MarkStyle("#000091", _circle, gettext_lazy("rond bleu")),  # bleu France
    MarkStyle("#c9191e", _square, gettext_lazy("carré rouge")),  # rouge Marianne
    MarkStyle("#18753c", _triangle, gettext_lazy("triangle vert")),
    MarkStyle("#b34000", _diamond, gettext_lazy("losange orange")),
    MarkStyle("#6e445a", _cross, gettext_lazy("croix violette")),
]
UNCLUSTERED = MarkStyle("#666666", _circle, gettext_lazy("petit cercle gris vide"))


def style_of(group: int) -> MarkStyle:
    return STYLES[group % len(STYLES)]


# --- the map ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapLayer:
    """All the marks of one group (or of the unclustered people) as one SVG path."""

    path: str
    colour: str
    hollow: bool = False


@dataclass(frozen=True)
class Centre:
    """A group's centre (a small cross) and its letter in a circle just above it, so that
    the label does not hide the group's own marks. Coordinates as SVG text, never a
    localised "12,5"."""

    letter: str
    x: str
    y: str
    label_y: str
    text_y: str
    colour: str

    @property
    def cross(self) -> str:
        x, y = float(self.x), float(self.y)
        return f"M{x - 5:.1f} {y:.1f}h10M{x:.1f} {y - 5:.1f}v10"


LABEL_OFFSET = 24  # px between a centre and its letter's circle


def centre_label(group: int, x: float, y: float) -> Centre:
    label = y - LABEL_OFFSET if y - LABEL_OFFSET > 14 else y + LABEL_OFFSET
    return Centre(
        group_letter(group),
        f"{x:.1f}",
        f"{y:.1f}",
        f"{label:.1f}",
        f"{label + 5:.1f}",
        style_of(group).colour,
    )


@dataclass
class OpinionMap:
    layers: list[MapLayer]
    centres: list[Centre]
    drawn: int  # people on the map
    aggregated: bool
    width: int = MAP_WIDTH
    height: int = MAP_HEIGHT


def _scale(values: np.ndarray, low: float, high: float, start: float, length: float):
    if high - low < 1e-9:  # everyone at the same place on this axis: the middle
        return np.full(values.shape, start + length / 2)
    return start + (values - low) / (high - low) * length


def opinion_map(result: dict) -> OpinionMap:
    people = result.get("participants", {})
    xs = np.asarray(people.get("x", []), dtype=float)
    ys = np.asarray(people.get("y", []), dtype=float)
    groups = np.asarray([-1 if g is None else g for g in people.get("group", [])], dtype=int)
    centres = np.asarray([g["center"] for g in result.get("groups", [])], dtype=float).reshape(
        -1, 2
    )
    all_x = np.concatenate([xs, centres[:, 0]])
    all_y = np.concatenate([ys, centres[:, 1]])
    if not len(all_x):
        return OpinionMap([], [], 0, False)
    inner_w, inner_h = MAP_WIDTH - 2 * MAP_MARGIN, MAP_HEIGHT - 2 * MAP_MARGIN

    def to_svg(x, y):
        # Each axis fills the frame (the two components have no unit); y grows upwards.
        sx = _scale(x, all_x.min(), all_x.max(), MAP_MARGIN, inner_w)
        sy = _scale(-y, -all_y.max(), -all_y.min(), MAP_MARGIN, inner_h)
        return sx, sy

    sx, sy = to_svg(xs, ys)
    aggregated = len(xs) > MAP_DOT_LIMIT
    layers = []
    for group in sorted(set(groups.tolist()), key=lambda g: (g < 0, g)):
        chosen = groups == group
        style = UNCLUSTERED if group < 0 else style_of(group)
        marks = _cells(sx[chosen], sy[chosen]) if aggregated else _dots(sx[chosen], sy[chosen])
        radius_of = (lambda s: 0.6 * s) if group < 0 else (lambda s: s)
        path = "".join(style.draw(x, y, radius_of(size)) for x, y, size in marks)
        layers.append(MapLayer(path=path, colour=style.colour, hollow=group < 0))
    cx, cy = to_svg(centres[:, 0], centres[:, 1])
    labels = [
        centre_label(g, x, y) for g, (x, y) in enumerate(zip(cx.tolist(), cy.tolist(), strict=True))
    ]
    return OpinionMap(layers, labels, len(xs), aggregated)


def _dots(sx: np.ndarray, sy: np.ndarray):
    return [(x, y, DOT_RADIUS) for x, y in zip(sx.tolist(), sy.tolist(), strict=True)]


def _cells(sx: np.ndarray, sy: np.ndarray):
    """One mark per grid cell holding people of this group, at the cell's centre; its radius
    grows with the square root of the count (its area with the count)."""
    if not len(sx):
        return []
    cell_w = (MAP_WIDTH - 2 * MAP_MARGIN) / GRID_COLUMNS
    cell_h = (MAP_HEIGHT - 2 * MAP_MARGIN) / GRID_ROWS
    col = np.clip(((sx - MAP_MARGIN) / cell_w).astype(int), 0, GRID_COLUMNS - 1)
    row = np.clip(((sy - MAP_MARGIN) / cell_h).astype(int), 0, GRID_ROWS - 1)
    cells, counts = np.unique(row * GRID_COLUMNS + col, return_counts=True)
    biggest = counts.max()
    return [
        (
            MAP_MARGIN + (cell % GRID_COLUMNS + 0.5) * cell_w,
            MAP_MARGIN + (cell // GRID_COLUMNS + 0.5) * cell_h,
            DOT_RADIUS * (0.6 + 1.4 * float(np.sqrt(count / biggest))),
        )
        for cell, count in zip(cells.tolist(), counts.tolist(), strict=True)
    ]


# --- groups and their statements -------------------------------------------------------------


@dataclass
class StatementLine:
    id: int
    text: str
    visibility: str
    visibility_label: str = ""
    agree: bool = True
    percent: int = 0
    n_success: int = 0
    n_trials: int = 0
    score: float = 0.0  # consensus statements: Pol.is's group-aware consensus
    moderation_url: str = ""  # the moderators' dashboard only

    @property
    def published(self) -> bool:
        return self.visibility == Visibility.PUBLISHED


@dataclass
class GroupView:
    id: int
    letter: str
    name: str
    members: int
    centre: tuple[float, float]
    style: MarkStyle
    statements: list[StatementLine]


def statement_ids(result: dict) -> set[int]:
    """Every statement a computation names: representative, consensus, uncertain."""
    ids = {item["statement"] for items in result.get("repness", {}).values() for item in items}
    for side in ("agree", "disagree"):
        ids |= {item["statement"] for item in result.get("consensus", {}).get(side, [])}
    ids |= {item["statement"] for item in result.get("uncertainty", [])}
    return ids


def load_statements(campaign, result: dict, *, public: bool) -> dict[int, StatementLine]:
    """The named statements of the campaign, by id, in one query: published ones only for
    the public; every one for moderators, hidden and pending ones with their state."""
    rows = Statement.objects.filter(campaign=campaign, pk__in=statement_ids(result))
    if public:
        rows = rows.published()
    labels = dict(Visibility.choices)
    return {
        pk: StatementLine(pk, text, visibility, str(labels.get(visibility, visibility)))
        for pk, text, visibility in rows.values_list("pk", "text", "visibility")
    }


def _line(item: dict, known: StatementLine) -> StatementLine:
    """A statement with one group's (or everyone's) share: n_success out of n_trials."""
    trials = item.get("n_trials", 0)
    return replace(
        known,
        agree=item.get("repful_for", "agree") == "agree",
        percent=round(100 * item.get("n_success", 0) / trials) if trials else 0,
        n_success=item.get("n_success", 0),
        n_trials=trials,
    )


def group_views(result: dict, statements: dict[int, StatementLine], limit: int | None = None):
    repness = result.get("repness", {})
    views = []
    for group in result.get("groups", []):
        g = group["id"]
        lines = [
            _line(item, statements[item["statement"]])
            for item in repness.get(str(g), [])
            if item["statement"] in statements
        ]
        views.append(
            GroupView(
                id=g,
                letter=group_letter(g),
                name=group_name(g),
                members=group["members"],
                centre=(round(group["center"][0], 2), round(group["center"][1], 2)),
                style=style_of(g),
                statements=lines[:limit] if limit else lines,
            )
        )
    return views


def consensus_lines(result: dict, statements: dict[int, StatementLine], side: str, limit=None):
    """The statements every group agrees with (side "agree") or rejects ("disagree").

    Pol.is ranks every statement by the product over groups of (agree + 1) / (seen + 2);
    the top of that list is not a consensus when no statement has one. Kept: scores above
    0.5 per group (0.25 for two groups), a majority in each group on average."""
    floor = 0.5 ** max(len(result.get("groups", [])), 1)
    lines = []
    for item in result.get("consensus", {}).get(side, []):
        known = statements.get(item["statement"])
        if known is not None and item.get("score", 0) > floor:
            lines.append(replace(known, score=item["score"]))
    return lines[:limit] if limit else lines


def uncertain_lines(result: dict, statements: dict[int, StatementLine]) -> list[StatementLine]:
    lines = []
    for item in result.get("uncertainty", []):
        known = statements.get(item["statement"])
        if known is None:
            continue
        lines.append(_line({"n_success": item["passes"], "n_trials": item["seen"]}, known))
    return lines


def silhouettes(result: dict, chosen: int) -> list[dict]:
    """The silhouette of each number of groups tried, the chosen one marked."""
    return [
        {"k": int(k), "score": score, "chosen": int(k) == chosen}
        for k, score in sorted(result.get("silhouettes", {}).items(), key=lambda kv: int(kv[0]))
    ]


def unclustered_count(computation: OpinionGroups) -> int:
    return computation.participants_count - computation.clustered_count
