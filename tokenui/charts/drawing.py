"""The charts drawn as SVG by pygal, served as images of their own (`<img src>`).

Why images: pygal styles its SVG with a `<style>` element, which the pages' Content Security
Policy (`style-src 'self'`) would block if the SVG were written into the page. Served as a
response of its own, the SVG carries its own policy (`SVG_POLICY`): no script runs and nothing
loads in an SVG shown by `<img>` anyway, and the policy allows its inline style and nothing
else. The numbers are in a table beside each chart, so the picture is never the only way in.
"""

from __future__ import annotations

import pygal
from pygal.style import Style

from tokenui.charts.figures import Chart

SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
# Each at least 4.5:1 on white (text and lines alike, WCAG 1.4.3 and 1.4.11), and unlike its
# neighbours in hue and lightness, for stacked bars side by side.
COLOURS = (
    "#1f5fbf",  # blue (the brand's)
    "#b3261e",  # red
    "#1e6b34",  # green
    "#7a4a00",  # brown
    "#6a3d9a",  # purple
    "#005f73",  # teal
    "#a3005f",  # magenta
    "#4d4d4d",  # grey
    "#0b2e59",  # navy
    "#5c5c00",  # olive
)
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1d2430",
    foreground_strong="#1d2430",
    foreground_subtle="#5b6676",
    opacity="1",
    stroke_width="2.5",  # lines as thick as a bar's edge is plain
    opacity_hover="1",
    colors=COLOURS,
    font_family=FONT,
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=15,
    value_font_size=14,
    tooltip_font_size=14,
    title_font_size=16,
)
WIDE = {"width": 800, "height": 400}
# A phone shows the narrow drawing (<picture>): its text stays legible at 360 px.
NARROW = {"width": 400, "height": 520, "legend_at_bottom": True, "legend_at_bottom_columns": 1}


def svg(chart: Chart, *, stacked: bool, narrow: bool) -> str:
    """The chart as an SVG document: stacked bars (a count per week) or lines (over time)."""
    kind = pygal.StackedBar if stacked else pygal.Line
    drawing = kind(
        style=STYLE,
        js=[],  # pygal's tooltips script: not loaded (and an image runs none)
        disable_xml_declaration=False,
        x_label_rotation=0 if not narrow else 45,
        show_minor_x_labels=not narrow,
        x_labels_major_every=2 if narrow else None,
        truncate_legend=-1,
        truncate_label=-1,
        print_values=False,
        min_scale=4,
        include_x_axis=True,
        no_data_text="No tokens",
        **(NARROW if narrow else WIDE),
    )
    drawing.x_labels = list(chart.labels)
    for series in chart.series:
        drawing.add(series.name, list(series.values))
    return drawing.render(is_unicode=True)
