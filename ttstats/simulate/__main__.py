"""``python -m ttstats.simulate``: write a simulated Performance Report of about a given size."""

from ._write import _main

if __name__ == "__main__":
    raise SystemExit(_main())
