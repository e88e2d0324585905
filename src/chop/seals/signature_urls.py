"""URLs of the seal studio part 'signature' (issue 10). Stub until that part is built: the names exist
so that pages can link to them."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import path


@login_required
def _not_built(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("seals/signature/", _not_built, name="signature_new"),
]
