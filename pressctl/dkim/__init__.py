"""DKIM for relays that do not sign: the key (:mod:`~pressctl.dkim.keys`: read, checked, made, its TXT record)
and the signature (:mod:`~pressctl.dkim.sign`: RFC 6376 relaxed/relaxed, RSA-SHA256 or Ed25519-SHA256)."""
