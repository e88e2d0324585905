from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def workbench(request):
    return render(request, "orgs/workbench.html", {"nav": "workbench"})


urlpatterns = [path("", workbench, name="workbench")]
