"""rekit.figures.images: what kaleido's browser driver logs while images are made stays out of stderr.

choreographer (the driver under kaleido >= 1) logs "JSONError decoding message. Ignoring" with a
traceback when the browser's closing message races its last reply, after the images are written.
With no handler configured, Python's last-resort handler printed that traceback on the command
line of `rekit reports`, under a batch whose reports had all been built.
"""

from __future__ import annotations

import logging
import subprocess
import sys

from rekit.figures.images import DRIVER_LOGGERS, _driver_said, held_driver_logs

SCRIPT = """
import logging, sys
from rekit.figures.images import held_driver_logs
log = logging.getLogger("choreographer.channels.pipe")
def race():
    try:
        raise ValueError("Expecting property name enclosed in double quotes")
    except ValueError:
        log.exception("JSONError decoding message. Ignoring")
if sys.argv[1] == "held":
    with held_driver_logs() as said:
        race()
    print(len(said), said[0].getMessage())
else:
    race()
"""


def _run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=60)


def test_a_driver_traceback_reaches_stderr_without_the_hold():
    # The test can fail: the same record, logged outside the hold, is printed with its traceback.
    proc = _run("bare")
    assert "JSONError decoding message. Ignoring" in proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr


def test_a_driver_traceback_is_held_not_printed():
    proc = _run("held")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout == "1 JSONError decoding message. Ignoring\n"


def test_the_hold_covers_kaleido_and_its_driver_and_is_undone(caplog):
    assert set(DRIVER_LOGGERS) == {"kaleido", "choreographer", "logistro"}
    child = logging.getLogger("kaleido.kaleido")
    with caplog.at_level(logging.WARNING):
        with held_driver_logs() as said:
            child.warning("inside")
        child.warning("outside")
    assert [r.getMessage() for r in said] == ["inside"]
    assert [r.getMessage() for r in caplog.records] == ["outside"]
    assert all(logging.getLogger(n).propagate for n in DRIVER_LOGGERS)
    assert not any(logging.getLogger(n).handlers for n in DRIVER_LOGGERS)


def test_a_failed_export_names_the_last_three_messages_on_one_line_each():
    records = [logging.LogRecord("choreographer", logging.WARNING, __file__, 1, msg, None, None)
               for msg in ("one", "two\nsecond line", "three", "four")]
    # The last three, first line only: "two", "three", "four".
    assert _driver_said(records) == " (the browser driver said: warning: two; warning: three; warning: four)"
    assert _driver_said([]) == ""


def test_a_failed_render_is_tried_once_more_and_a_lasting_one_is_reported():
    from rekit.figures.images import TRIES, tried

    said = iter(["ReferenceError: kaleido_scopes is not defined", ""])
    calls = []

    def flaky() -> str:
        calls.append(1)
        return next(said)

    # The first try fails as kaleido's page did once under load; the second succeeds: no problem, two calls.
    assert tried(flaky) == "" and len(calls) == 2 == TRIES
    calls.clear()
    # A figure that cannot be drawn fails every time: its last problem, with the number of tries.
    assert tried(lambda: calls.append(1) or "1 image(s) failed: bad trace") == "1 image(s) failed: bad trace (tried 2 times)"
    assert len(calls) == 2
    calls.clear()
    # Success at once: one call only.
    assert tried(lambda: calls.append(1) or "") == "" and len(calls) == 1
    assert tried(lambda: "broken", tries=1) == "broken"

