"""The /progress chart: weekly applications against the goal, with reflections, feedback asked
and feedback received as slim bars beside them, and a legend naming each. PNG bytes out;
nothing here knows about Discord.

Readable on Discord's dark and light themes: the background is transparent apart from a
faint neutral panel, and every colour (text included) is a mid-tone that keeps contrast
on both a near-black and a white page. Rendering uses the object-oriented Agg API (no
pyplot), so it is safe to run in a worker thread."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from babel.dates import format_skeleton

from bot import i18n
from bot.i18n import _
from bot.services.progress import WeekPoint

TEXT = "#8A8F98"          # mid grey: legible on #313338 (dark) and #FFFFFF (light)
GRID = (0.54, 0.56, 0.60, 0.30)
PANEL = (0.5, 0.5, 0.5, 0.08)
BAR = "#5B7FD6"
BAR_MET = "#3E9E6E"
GOAL = "#E0A030"
REFLECTION = "#C77DDB"
FEEDBACK = "#E2645A"
RECEIVED = "#2BA5A5"

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.6, 110


def _label(order: list[str], label: str) -> str:
    """`label`, noted in `order` so the legend keeps the order the labels were made in."""
    order.append(label)
    return label


def week_label(monday: date) -> str:
    """A week under its bar, in the language of the moment: "Oct 19", "19. Okt."."""
    locale = "en" if i18n.current() == i18n.DEFAULT else i18n.babel_locale()
    return format_skeleton("MMMd", monday, locale=locale)


def render_progress_chart(weeks: Sequence[WeekPoint], goal: int | None) -> bytes:
    """A PNG of the given weeks (oldest first). The goal line and the "goal met" colour cover
    only the weeks whose `goal_applies` is set."""
    # Imported on first use: matplotlib takes half a second and ~35 MB to load, which every
    # start would pay before anyone asks for a chart.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    fig.patch.set_alpha(0.0)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_facecolor(PANEL)

    xs = list(range(len(weeks)))
    apps = [w.applications for w in weeks]
    # Only weeks from the one the goal was set in are compared with it; earlier weeks are
    # plain effort bars, never misses.
    target = goal or 0
    compared = [target > 0 and w.goal_applies for w in weeks]
    colours = [BAR_MET if c and a >= target else BAR
               for a, c in zip(apps, compared, strict=True)]
    # Applications lead (a wide bar); the other efforts stand beside it as slim bars, so none
    # sits on top of another and each has its own legend entry. The legend lists them in the
    # order their labels are made here, whatever the language.
    order: list[str] = []
    ax.bar([x - 0.17 for x in xs], apps, width=0.42, color=colours,
           label=_label(order, _("Applications")), zorder=2)
    goal_met_label = _label(order, _("Goal met"))
    if goal and any(compared):
        first = compared.index(True)
        # From the left edge of the first compared week to the chart's right edge.
        ax.plot([first - 0.6 if first == 0 else first - 0.5, len(weeks) - 0.4], [goal, goal],
                color=GOAL, linestyle="--", linewidth=1.8, zorder=3,
                # Translators: the goal line of the /progress chart, e.g. "Goal (5/week)".
                label=_label(order, _("Goal ({goal}/week)").format(goal=goal)))

    series = (
        ([w.reflections for w in weeks], REFLECTION, _label(order, _("Reflections"))),
        ([w.feedback_asked for w in weeks], FEEDBACK, _label(order, _("Feedback asked"))),
        ([w.feedback_received for w in weeks], RECEIVED,
         _label(order, _("Feedback received"))),
    )
    for offset, (values, colour, label) in zip((0.1, 0.23, 0.36), series, strict=True):
        if any(values):
            ax.bar([x + offset for x in xs], values, width=0.12, color=colour, label=label,
                   zorder=2)

    top = max([*apps, goal or 0, *(v for values, _c, _l in series for v in values), 1])
    ax.set_ylim(0, top * 1.18 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.set_xticks(xs, [week_label(w.monday) for w in weeks])
    ax.set_xlim(-0.6, len(weeks) - 0.4)

    ax.tick_params(colors=TEXT, labelsize=8.5, length=0)
    for tick in ax.get_xticklabels():
        tick.set_color(TEXT)
    ax.grid(axis="y", color=GRID, linewidth=0.8, zorder=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(TEXT)
    ax.set_title(_("Your effort per week (week starting)"), color=TEXT, fontsize=10.5,
                 loc="left", pad=10)
    handles, labels = ax.get_legend_handles_labels()
    if BAR_MET in colours:
        handles.append(Patch(color=BAR_MET))
        labels.append(goal_met_label)
    pairs = sorted(zip(handles, labels, strict=True), key=lambda p: order.index(p[1]))
    handles, labels = [h for h, _lab in pairs], [lab for _h, lab in pairs]
    legend = ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                       ncols=min(len(handles), 4), fontsize=8, frameon=False, handlelength=1.6,
                       columnspacing=1.4)
    for text in legend.get_texts():
        text.set_color(TEXT)

    fig.tight_layout(pad=0.8)
    out = io.BytesIO()
    fig.savefig(out, format="png", transparent=False, facecolor=fig.get_facecolor())
    return out.getvalue()
