"""OpenAPI descriptions of the user API (summaries, errors, examples), one module per audience."""
