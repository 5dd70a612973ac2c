"""Meet people: the opt-in member directory, searchable. Only what a member chose to show
(`users.selectors.DIRECTORY_FIELDS`) ever reaches the page."""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from users.selectors import directory_members

from ..forms import PortalForm

PAGE_SIZE = 24


class PeopleSearchForm(PortalForm):
    q = forms.CharField(
        label="Search people", required=False, max_length=100, help_text="A nickname, a name or words from a bio."
    )


@require_GET
@login_required(login_url="portal:login")
def people(request):
    """Members who chose to be listed, by nickname, 24 a page (a count and a page: two queries)."""
    form = PeopleSearchForm(request.GET or None)
    status, page, search = 200, None, ""
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        search = form.cleaned_data.get("q", "") if form.is_bound else ""
        page = Paginator(directory_members(search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    query = f"{urlencode({'q': search})}&" if search else ""
    context = {"nav": "people", "form": form, "page": page, "search": search, "query": query}
    return render(request, "portal/people/people.html", context, status=status)
