"""What each relay profile publishes and signs with (FACTS.md, "Sender authentication"). Pure data.

``spf_include``: the domain a customer's SPF must include for the provider's servers; ``selectors``: where
the provider's DKIM key for a customer domain is published (under ``._domainkey.<From domain>``, usually a
CNAME the admin centre shows). A profile not here (``generic``): a smarthost, authorised by its addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROVIDERS", "Provider", "provider"]


@dataclass(frozen=True)
class Provider:
    name: str  # as people call it
    spf_include: str
    selectors: tuple[str, ...]
    dkim_hint: str  # where to turn signing on


PROVIDERS: dict[str, Provider] = {
    "microsoft365": Provider(
        "Microsoft 365", "spf.protection.outlook.com", ("selector1", "selector2"),
        "turn on DKIM for the domain in the Microsoft Defender portal (Email authentication settings)",
    ),
    "gmail": Provider(
        "Google Workspace", "_spf.google.com", ("google",),
        "generate and start the DKIM key in the Google Admin console (Apps > Gmail > Authenticate email)",
    ),
    "google-relay": Provider(
        "Google Workspace", "_spf.google.com", ("google",),
        "generate and start the DKIM key in the Google Admin console (Apps > Gmail > Authenticate email)",
    ),
    "ses": Provider(
        "Amazon SES", "amazonses.com", (),
        "verify the domain with Easy DKIM in the SES console and name one of its selectors in [sender] dkim_selector",
    ),
}


def provider(profile: str | None) -> Provider | None:
    """The provider of a relay profile, or None for a smarthost (``generic``)."""
    return PROVIDERS.get(profile or "")
