"""WWWTrak: billing and customer management for Internet service providers.

The core library: database, models and services. It never imports the
terminal layer (typer, rich); the CLI lives in ``wwwtrak.commands``.
"""

__version__ = "0.1.0"
