from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("institutions/<slug:code>/", views.institution_detail, name="institution_detail"),
    path("institutions/<slug:code>/contracts/", views.contract_list, name="contract_list"),
    path("periods/<int:period_id>/", views.period_detail, name="period_detail"),
    path("periods/<int:period_id>/<slug:action>/", views.period_action, name="period_action"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract_detail"),
]
