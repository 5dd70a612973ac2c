"""Events in the admin: review (approve, reject with feedback), registrations with check-in, CSV export.

`events.py` (the event list and form, attendee exports), `review.py` (the workflow
actions and pages), `registrations.py` (the inline and the registration list),
`base.py` (access by role; a service applied to each selected row).
"""

from django.contrib import admin

from ..models import Event, Registration
from .events import EventAdmin
from .registrations import RegistrationAdmin

admin.site.register(Event, EventAdmin)
admin.site.register(Registration, RegistrationAdmin)
