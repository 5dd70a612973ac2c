"""The bench's reference: an app that answers every request with 200 "ok" and does nothing else,
served by the same server, workers and wrk settings as the real app. Its rate is the ceiling of
that server on this machine in that run, so the app's numbers can be read as a share of it
(issue 18 sets GET /users/{id} at >= 8.6 % of a bare ASGI app) whatever machine the bench runs on."""

BODY = b"ok"
HEADERS = [(b"content-type", b"text/plain"), (b"content-length", str(len(BODY)).encode())]


async def asgi_app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def wsgi_app(environ, start_response):
    start_response("200 OK", [(name.decode(), value.decode()) for name, value in HEADERS])
    return [BODY]
