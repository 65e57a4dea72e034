"""The benchmark's URLconf: the site's own URLs plus a minimal logged-in baseline page, so that both
go through the same middleware. Used only while measuring, as ROOT_URLCONF (demo.bench.pages.URLCONF);
the site's urls.py never includes it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path


@login_required
def baseline_view(request):
    """The smallest logged-in page: the cost of the middleware, session and user alone."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("__bench__/baseline", baseline_view, name="bench_baseline"),
    path("", include("qms_site.urls")),
]
