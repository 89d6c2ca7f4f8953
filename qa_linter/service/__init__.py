"""The pre-send HTTP service (`qa-lint serve`): JSON endpoints for the agent console and the agent page.

`app.create_app(settings, linter)` builds the ASGI app; `server.serve(settings, linter)` runs it with uvicorn.
"""
