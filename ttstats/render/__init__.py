"""Renderings of the results (the ``render`` layer), on top of ``analysis``.

This layer imports ``parse``, ``stats`` and ``analysis``, never ``cli``. Importing
``ttstats.render`` needs nothing beyond the core, and imports no submodule. The plots live in
:mod:`ttstats.render.plots`, which needs matplotlib, an optional dependency
(``pip install "ttstats[plot]"``)::

    from ttstats.render.plots import plot_rates, figure_to_data_uri

Every plot function returns a :class:`matplotlib.figure.Figure` built without pyplot (no
global state, no window, safe in servers and tests) and accepts ``ax=`` to draw into an
existing :class:`~matplotlib.axes.Axes` instead.
"""

# The readout as text, Markdown and JSON (no matplotlib needed).
from .json import readout_schema as readout_schema
from .json import readout_to_json as readout_to_json
from .json import readout_to_json_string as readout_to_json_string
from .text import readout_to_markdown as readout_to_markdown
from .text import readout_to_text as readout_to_text
