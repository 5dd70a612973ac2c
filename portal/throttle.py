"""The member pages' sign-in forms spend the API's budget: each POST (and each use of the
emailed verification link) takes one of the client address's AUTH_THROTTLE_RATE slots, as
POST /login, /register/ and the rest do through DRF. Once they are spent the page answers
429 with Retry-After and says when to try again; the form is not processed."""

from functools import wraps

from django.shortcuts import render

from core.throttling import auth_wait


def throttled(view=None, *, methods=("POST",)):
    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                wait = auth_wait(request)
                if wait:
                    response = render(request, "portal/auth/throttled.html", {"wait": wait}, status=429)
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
