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
