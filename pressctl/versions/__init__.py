"""A release's language versions together: what must agree between them, drafts, and Simplified from
Traditional (see ``agreement``, ``gate`` and ``translate``)."""

__all__: list[str] = []
