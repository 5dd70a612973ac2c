"""The member pages: server-rendered Django views and templates over the same services as the API."""
