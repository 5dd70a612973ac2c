"""Load test of the service under gunicorn, WSGI and ASGI, with wrk: `python -m bench --help`.

`bench.runner` does the work (database, seeding, servers, wrk); `bench.report`
holds the pure parsing and formatting functions (unit-tested, no network).
"""
