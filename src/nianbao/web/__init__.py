"""The web workbench (`nianbao serve`): the audit campaign in a browser, over the same store and Checker.

Needs the `web` and `store` extras. `create_app(db)` builds the ASGI application;
every page has a JSON twin at the same path plus `.json`.
"""
from .app import create_app

__all__ = ["create_app"]
