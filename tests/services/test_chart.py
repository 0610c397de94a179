import io
from datetime import date, timedelta

import numpy as np
from PIL import Image

from bot.services.chart import (
    BAR,
    BAR_MET,
    DPI,
    GOAL,
    HEIGHT_IN,
    TEXT,
    WIDTH_IN,
    render_progress_chart,
)
from bot.services.progress import WeekPoint

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def twelve_weeks(apps, reflections=None, feedback=None):
    start = date(2026, 9, 7)
    reflections = reflections or [0] * len(apps)
    feedback = feedback or [0] * len(apps)
    return [WeekPoint(start + timedelta(weeks=i), a, r, f, 0)
            for i, (a, r, f) in enumerate(zip(apps, reflections, feedback, strict=True))]


def colours_in(png: bytes) -> set[tuple[int, int, int]]:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    opaque = pixels[pixels[..., 3] == 255][:, :3]
    return {tuple(int(c) for c in px) for px in np.unique(opaque, axis=0)}


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_chart_is_a_png_of_the_expected_size_with_a_transparent_background():
    png = render_progress_chart(twelve_weeks([3, 5, 6, 2, 0, 5, 7, 4, 5, 6, 1, 2],
                                             [1, 0, 2, 0, 0, 1, 0, 2, 0, 1, 0, 1],
                                             [0, 1, 0, 0, 0, 1, 0, 1, 0, 2, 0, 0]), goal=5)
    assert png.startswith(PNG_SIGNATURE)
    assert 5_000 < len(png) < 500_000
    image = Image.open(io.BytesIO(png))
    assert image.size == (round(WIDTH_IN * DPI), round(HEIGHT_IN * DPI))
    assert image.mode == "RGBA"
    corner = image.convert("RGBA").getpixel((0, 0))
    assert corner[3] == 0      # the page colour shows through: works on dark and light themes


def test_met_weeks_goal_line_and_text_use_the_theme_neutral_palette():
    found = colours_in(render_progress_chart(twelve_weeks([1, 6] * 6), goal=5))
    for colour in (BAR, BAR_MET, GOAL, TEXT):
        assert rgb(colour) in found, colour


def test_without_a_goal_there_is_no_goal_line_and_no_met_colour():
    found = colours_in(render_progress_chart(twelve_weeks([1, 6] * 6), goal=None))
    assert rgb(BAR) in found
    assert rgb(GOAL) not in found and rgb(BAR_MET) not in found


def test_feedback_received_is_drawn_and_every_series_has_a_colour_of_its_own():
    from bot.services.chart import FEEDBACK, RECEIVED, REFLECTION
    start = date(2026, 9, 7)
    weeks = [WeekPoint(start + timedelta(weeks=i), a, r, f, g)
             for i, (a, r, f, g) in enumerate([(2, 1, 1, 0), (4, 2, 1, 1), (5, 0, 0, 1)])]
    found = colours_in(render_progress_chart(weeks, goal=4))
    for colour in (BAR, BAR_MET, GOAL, REFLECTION, FEEDBACK, RECEIVED):
        assert rgb(colour) in found, colour
    # Without any feedback received, its colour is absent.
    found = colours_in(render_progress_chart(twelve_weeks([1, 6] * 6, [1, 0] * 6), goal=5))
    assert rgb(RECEIVED) not in found


def test_weeks_before_the_goal_was_set_are_plain_bars_without_the_met_colour():
    from dataclasses import replace
    weeks = twelve_weeks([6, 7, 8, 1])
    weeks = [replace(w, goal_applies=i == 3) for i, w in enumerate(weeks)]
    found = colours_in(render_progress_chart(weeks, goal=5))
    # The earlier weeks beat today's goal, but it didn't exist then: no "goal met" colour.
    assert rgb(BAR) in found and rgb(GOAL) in found
    assert rgb(BAR_MET) not in found
    # Once the goal applies to those weeks, they are coloured as met.
    found = colours_in(render_progress_chart(twelve_weeks([6, 7, 8, 1]), goal=5))
    assert rgb(BAR_MET) in found


def test_week_labels_follow_the_language_of_the_moment():
    from bot import i18n
    from bot.services.chart import week_label
    assert week_label(date(2026, 10, 19)) == "Oct 19"
    with i18n.using("de"):
        assert week_label(date(2026, 10, 19)) == "19. Okt."
    with i18n.using("fr"):
        assert week_label(date(2026, 10, 19)) == "19 oct."
