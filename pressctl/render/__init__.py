"""Rendering a release: the email HTML, the plain text and the PDF, with words and dates per language."""
