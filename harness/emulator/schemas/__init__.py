"""Schemas extracted from OpenAI's OpenAPI spec (MIT); see extract.py."""
