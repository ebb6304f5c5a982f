"""User errors print one line and exit 2; real bugs and --debug keep the traceback."""

from __future__ import annotations

import pytest

from paddlemix.errors import UserError, debug_requested, error_line, run_main


def _fail_user(argv):
    raise UserError("line 3 is not JSON", where="data/train.jsonl:3", fix="fix or remove the line")


def _fail_bug(argv):
    raise KeyError("oops")


@pytest.mark.parametrize(
    "error, line",
    [
        # where, what and fix, in that order
        (UserError("bad", where="a.json:2", fix="do x"), "error: a.json:2: bad (do x)"),
        # no location known
        (UserError("bad"), "error: bad"),
        # a multi-line message folds onto one line
        (UserError("bad\n  value", where="cfg.yaml:lr"), "error: cfg.yaml:lr: bad value"),
    ],
)
def test_error_line(error, line):
    assert error_line(error) == line


def test_user_error_exits_2_with_one_line(capsys, monkeypatch):
    monkeypatch.delenv("PADDLEMIX_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        run_main(_fail_user, [])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: data/train.jsonl:3: line 3 is not JSON (fix or remove the line)\n"


def test_debug_flag_keeps_the_traceback(monkeypatch):
    monkeypatch.delenv("PADDLEMIX_DEBUG", raising=False)
    seen = []
    with pytest.raises(UserError):
        run_main(lambda argv: (seen.append(argv), _fail_user(argv)), ["--x", "1", "--debug"])
    assert seen == [["--x", "1"]]  # --debug is not passed on


def test_debug_env(monkeypatch):
    monkeypatch.setenv("PADDLEMIX_DEBUG", "1")
    assert debug_requested([])
    monkeypatch.setenv("PADDLEMIX_DEBUG", "0")
    assert not debug_requested([])


def test_bugs_keep_their_traceback(monkeypatch):
    monkeypatch.delenv("PADDLEMIX_DEBUG", raising=False)
    with pytest.raises(KeyError):
        run_main(_fail_bug, [])
