"""Renderers: each turns conversations and their findings into one output format."""
