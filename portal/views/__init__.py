"""Plain Django views over the services and selectors (never the API views)."""
