"""The release file: YAML front matter, the Release model, Markdown and merge fields."""
