"""pressctl: press releases from one Markdown file to every journalist, once, on time."""

__all__ = ["__version__"]

__version__ = "0.1.0"
