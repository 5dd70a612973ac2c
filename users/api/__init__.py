"""The user API, by audience: `auth` (anyone: sign up, log in, tokens, password
reset), `account` (the caller's own /users/me), `staff` (ADMIN and MANAGER managing
users; the audit trail). Serializers and OpenAPI docs are split the same way."""
