"""The nightly job: runner, command line and logging set-up."""

__all__: list[str] = []
