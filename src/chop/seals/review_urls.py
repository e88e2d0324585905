"""URLs of the seal studio part 'review' (issue 10). Stub until that part is built: the names exist
so that pages can link to them."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import path


@login_required
def _not_built(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("operator/seals/", _not_built, name="seal_review_queue"),
]
