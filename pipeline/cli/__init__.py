"""The ``fastaed`` console script: one click group, one module per command.

Every command turns :class:`~pipeline.errors.FastaedError` (and the few OS errors a user can
cause) into one line on stderr and exit status 2; ``fastaed --debug CMD`` shows the traceback.

Example:
    $ fastaed --help
    $ fastaed synth data/synthetic --seed 0
"""
import sys

import click

from pipeline.atomic_files import DISK_FULL
from pipeline.errors import FastaedError


class _OneLineErrors(click.Group):
    """A click group that reports user errors in one line instead of a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        # click prints usage errors over three lines; ours must be one.
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as error:
            where = f" (see '{error.ctx.command_path} --help')" if getattr(error, "ctx", None) else ""
            click.echo(f"fastaed: error: {error.format_message()}{where}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("fastaed: aborted", err=True)
            sys.exit(1)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (FastaedError, OSError) as error:
            if ctx.meta.get("fastaed.debug"):
                raise
            click.echo(f"fastaed: error: {error_line(error)}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("fastaed: interrupted; complete outputs are kept, run the command again to resume", err=True)
            sys.exit(130)


def error_line(error):
    """The one line the user sees for a FastaedError or an OSError (a full disk says what to do).

    Example:
        >>> error_line(OSError(28, "No space left on device", "run/student.pt"))  # 28: ENOSPC
        'run/student.pt: no space left on the device (No space left on device): free some space or write elsewhere; nothing half-written was kept'
    """
    if isinstance(error, OSError) and error.errno in DISK_FULL:
        where = f"{error.filename}: " if error.filename else ""
        return (f"{where}no space left on the device ({error.strerror}): free some space or write elsewhere; "
                f"nothing half-written was kept")
    return (str(error) or type(error).__name__).replace("\n", "\\n")


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.pass_context
def main(ctx, debug):
    """fastaed: video anomaly detection by adversarial distillation of object-level teachers."""
    ctx.meta["fastaed.debug"] = debug


from pipeline.cli import commands  # noqa: E402  (registers the commands on ``main``)
