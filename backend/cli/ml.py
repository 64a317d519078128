"""`octroi data synth` and `octroi train`."""

import typer

data_app = typer.Typer(no_args_is_help=True)


def train() -> None:
    """Train the model (not implemented yet)."""
    raise typer.Exit(2)
