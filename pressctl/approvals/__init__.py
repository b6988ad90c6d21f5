"""Approvals (issue 23): a sign-off of exactly what a release will send, and the check every sending command
asks before anything leaves.

* :mod:`~pressctl.approvals.versions` -- a release's *version*: a digest of each language's subject, email,
  text, PDF and photos (the shared bytes, without any recipient's parts) and of its asset files; what
  differs between two versions, in words.
* :mod:`~pressctl.approvals.record` -- ``pressctl approve`` and ``pressctl approvals``: who (``--as``, git's
  ``user.name``, the login name), when, with what note and warnings.
* :mod:`~pressctl.approvals.check` -- the one check (``require_approval``) ``send``, ``schedule``,
  ``publish`` and ``dispatch`` each call from one place when ``[workflow] approval = "required"``.
"""
