"""The review queue on the web: pages for team leads, a JSON API, the sender's review page.

`gateway.web.app.create_app()` builds the Starlette application; `gateway.web.server`
runs it with uvicorn in the gateway's event loop. This package's `__init__` imports
nothing, so the mail path can use `gateway.web.links` without loading Starlette.
"""
