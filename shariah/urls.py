from django.urls import path

from . import views

urlpatterns = [
    path("periods/<int:period_id>/shariah/", views.period_compliance, name="period_compliance"),
]
