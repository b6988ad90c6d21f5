"""Real relays (issue 11): relay profiles and their limits, SMTP replies read by meaning, the adaptive
slow-down controller and rolling 24-hour caps, and XOAUTH2 login. Pure modules apart from ``oauth.py``'s
token command and login; the send engine integrates them (docs/relays.md)."""
