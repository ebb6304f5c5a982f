"""User errors: a bad config, data file, checkpoint or flag is reported as one line, never a traceback.

Every entry point runs its body through `run_main`. A `UserError` (or one of its subclasses, such as the
config, checkpoint and data errors) is printed as

    error: <file>:<line or key>: <what is wrong> (<what to do>)

and the process exits with status 2. Anything else is a bug and keeps its traceback. `--debug` on the
command line, or `PADDLEMIX_DEBUG=1`, shows the traceback of user errors too.

Ctrl-C is not a bug either: it prints one line, `interrupted: <what was saved>; <the command that resumes>`
(the running command says which with `set_interrupt_note`), and exits 130, the shell's status for SIGINT.
Output piped into a reader that stops early (`| head`) ends quietly.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
DEBUG_ENV = "PADDLEMIX_DEBUG"
_interrupt_note: Callable[[], str] | None = None


class UserError(Exception):
    """A mistake in what the user gave (config, data, checkpoint, flag), with where it is and how to fix it."""

    def __init__(self, what: str, where: str | None = None, fix: str | None = None):
        super().__init__(what)
        self.what, self.where, self.fix = what, where, fix

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text} ({self.fix})" if self.fix else text


class DataError(UserError, ValueError):
    """A data file (annotations, results) that cannot be read as what it should be; `where` is file:line."""


class MissingFileError(UserError, FileNotFoundError):
    """A file or directory the user named (in a flag, a config or a data yaml) that is not there."""


CHECKPOINT_FIX = "the checkpoint folder is damaged; download or copy it again"


def read_json(path: str, fix: str | None = CHECKPOINT_FIX):
    """The JSON content of `path`; a file that is not valid JSON is a DataError naming `path:line:column`."""
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise DataError(
                f"not valid JSON ({e.msg.removesuffix(' at')}; truncated?)",
                where=f"{path}:{e.lineno}:{e.colno}",
                fix=fix,
            ) from None
        except UnicodeDecodeError:
            raise DataError("not a UTF-8 text file", where=path, fix=fix) from None


@contextlib.contextmanager
def missing_files_are_user_errors():
    """Inside an entry point: a FileNotFoundError (a path the user gave that is not there) is a UserError."""
    try:
        yield
    except FileNotFoundError as error:
        if isinstance(error, UserError):
            raise
        raise UserError(str(error), where=None) from error


def debug_requested(argv: Sequence[str] | None = None) -> bool:
    """Whether tracebacks of user errors are wanted: `--debug` in `argv` or PADDLEMIX_DEBUG set to a true value."""
    if argv is not None and "--debug" in argv:
        return True
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def error_line(error: BaseException) -> str:
    """The one line a user error prints: `error: <where>: <what> (<fix>)`, newlines folded."""
    text = " ".join(str(error).split())
    return f"error: {text}"


def set_interrupt_note(note: Callable[[], str] | None) -> None:
    """What a Ctrl-C prints after `interrupted: `: `note()` says what is saved and how to resume (None: nothing)."""
    global _interrupt_note
    _interrupt_note = note


def interrupt_line() -> str:
    """The one line a Ctrl-C prints."""
    note = None
    if _interrupt_note is not None:
        try:
            note = _interrupt_note()
        except Exception as error:  # the note must never hide the interruption behind a traceback
            note = f"(could not say what was saved: {error})"
    return f"interrupted: {note}" if note else "interrupted"


def run_main(main: Callable[[list[str]], object], argv: Sequence[str] | None = None):
    """Run an entry point's `main(argv)` and return what it returns; a user error prints one line to stderr
    and exits with status 2.

    `--debug` is taken out of `argv` before `main` sees it.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = debug_requested(argv)
    argv = [a for a in argv if a != "--debug"]
    try:
        return main(argv)
    except UserError as error:
        if debug:
            raise
        print(error_line(error), file=sys.stderr)
        raise SystemExit(EXIT_USER_ERROR) from None
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"\n{interrupt_line()}", file=sys.stderr)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        # The reader of stdout went away (`| head`); Python would print a second error while flushing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
