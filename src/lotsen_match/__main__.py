"""``python -m lotsen_match``: the same as the ``lotsen-match`` command."""

from lotsen_match.job.cli import script

__all__: list[str] = []


if __name__ == "__main__":
    script()
