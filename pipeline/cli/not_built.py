"""Placeholder for commands whose issue has not landed: they say so and exit non-zero."""
import click


def not_built(name, issue, help_text):
    """Return a click command ``name`` that refuses to run and names the issue that builds it.

    Example:
        >>> cmd = not_built("export", 5, "Export the student to ONNX.")
        >>> cmd.name
        'export'
    """

    @click.command(name, help=f"{help_text} (NOT BUILT YET: issue #{issue})",
                   context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def command():
        click.echo(f"fastaed: error: '{name}' is not built yet (issue #{issue}); nothing was done", err=True)
        raise SystemExit(3)

    return command
