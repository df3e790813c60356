"""Plots of reports and comparisons on matplotlib (``pip install "ttstats[plot]"``).

Every function returns a :class:`matplotlib.figure.Figure` made with the ``Figure``
constructor, never through pyplot: no global state, no open window, no ``plt.show()``, so
it is safe in servers, notebooks and tests (a figure is freed like any Python object).
Pass ``ax=`` to draw into an existing :class:`~matplotlib.axes.Axes` instead; the function
then returns the figure that holds it. :func:`figure_to_png_bytes` and
:func:`figure_to_data_uri` turn a figure into PNG bytes or a ``data:`` URI for a
self-contained HTML page.

Colours follow the recipes: the control is dark grey (square markers), the other recipes take
the colours of matplotlib's ``tab10`` cycle in document order, the same in every plot.

Examples
--------
>>> import ttstats
>>> from ttstats.render.plots import figure_to_data_uri, plot_rates
>>> xml = '''<reports><report campaignId="1" start="2024-03-01" end="2024-03-02"
...   resolution="day" type="visit"><sample start="2024-03-01T00:00" duration="day">
...   <recipe name="A"><step name="Entry">2000</step><step name="Order">100</step></recipe>
...   <recipe name="B"><step name="Entry">2000</step><step name="Order">140</step></recipe>
... </sample></report></reports>'''
>>> fig = plot_rates(ttstats.compare(ttstats.read_report(xml), "A"))
>>> ax = fig.axes[0]
>>> ax.get_title(), [bar.get_label() for bar in ax.containers]
('All visitors: Order', ['A', 'B'])
>>> [t.get_text() for t in ax.texts]  # B's lift over A, significant
['+40.0% *']
>>> figure_to_data_uri(fig)[:22]
'data:image/png;base64,'
"""

from __future__ import annotations

try:
    import matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        'ttstats.render.plots needs matplotlib, an optional dependency: pip install "ttstats[plot]"'
        ' (from a checkout: pip install ".[plot]")'
    ) from exc

from ._common import (
    AGGREGATE_LABEL,
    CONTROL_COLOR,
    FLIP_COLOR,
    RECIPE_COLORS,
    figure_to_data_uri,
    figure_to_png_bytes,
    recipe_colors,
)
from ._funnel import plot_funnel
from ._rates import plot_rates
from ._sensitivity import plot_sensitivity
from ._series import plot_cumulative_lift, plot_sequential

__all__ = [
    "AGGREGATE_LABEL",
    "CONTROL_COLOR",
    "FLIP_COLOR",
    "RECIPE_COLORS",
    "figure_to_data_uri",
    "figure_to_png_bytes",
    "plot_cumulative_lift",
    "plot_funnel",
    "plot_rates",
    "plot_sensitivity",
    "plot_sequential",
    "recipe_colors",
]
