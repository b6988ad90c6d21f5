"""Relays as press offices have them: provider profiles, what each reply means, slowing down, daily caps, OAuth2."""
