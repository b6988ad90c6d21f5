"""The sending domain, as receivers will judge it: SPF, DKIM, DMARC and its alignment, MX, the relay's
forward and reverse DNS, and the day's volume against the bulk-sender threshold.

:mod:`~pressctl.domain.records` reads the records (pure), :mod:`~pressctl.domain.spf` walks SPF with a
lookup it is given (pure), :mod:`~pressctl.domain.providers` knows what each relay profile publishes and
signs with, :mod:`~pressctl.domain.lookup` asks DNS (dnspython; the one module here that does I/O) and
:mod:`~pressctl.domain.check` turns it all into findings, one line each.
"""
