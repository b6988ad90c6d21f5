"""Languages as data: the locale table and the one routing rule (see ``table`` and ``routing``)."""

__all__: list[str] = []
