"""Template context: the active space and the spaces the user may switch to."""


def active_space(request):
    return {"active_company": getattr(request, "company", None)}
