"""Session-wide test setup: Ctrl-C reaches the pressctl processes the tests start.

A shell that runs the suite in the background (``cmd &`` in a script) starts it with SIGINT ignored, and an
ignored signal stays ignored across exec: the ``pressctl`` children would never see the SIGINT the Ctrl-C tests
send them. Giving this process Python's own handler back makes exec reset it to the default in every child.
"""

from __future__ import annotations

import signal

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# A dry run asks SpamAssassin for a score when it is installed (~1-2 s a language); the tests that want it
# (tests/test_domain_preview.py) say so, the other dry runs go without.
import os

os.environ.setdefault("PRESSCTL_SPAMASSASSIN", "off")
