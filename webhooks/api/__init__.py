"""The REST API for scripts (DESIGN §6): views, serializers, auth, pagination, routes and docs page."""
