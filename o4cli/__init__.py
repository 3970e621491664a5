"""o4: a command-line tool for OpenAI's o4-mini reasoning model."""

__version__ = "0.1.0"
