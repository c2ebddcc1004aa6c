from django.conf import settings


def organization(request):
    return {"organization": settings.FACTCHECK_ORGANIZATION_NAME}
