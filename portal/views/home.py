from django.shortcuts import render


def home(request):
    """The front door: what the community is, and the way in."""
    return render(request, "portal/home.html")
