from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from trdclinic import views

urlpatterns = [
    path("", include("records.urls")),
    path("impasse/", include("pseudoresistance.urls")),
    path("cohort/", include("cohort.urls")),
    path(
        "signin/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("signout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "trdclinic.views.bad_request"
handler403 = "trdclinic.views.permission_denied"
handler404 = "trdclinic.views.page_not_found"
handler500 = "trdclinic.views.server_error"
