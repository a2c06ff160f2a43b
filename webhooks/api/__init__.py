"""The REST API for scripts (docs/api.md): views, serializers, auth, pagination, routes and docs page."""
