"""Sending: message building and wire form, transport, pacing, the send engine and campaigns."""
