"""``python -m allegiance.cli``: the ``allegiance`` command line."""

from allegiance.cli import run

if __name__ == "__main__":
    run()
