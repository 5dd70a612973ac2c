"""Request and response shapes of the user API, one module per audience."""
