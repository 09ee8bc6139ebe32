from django.urls import path

from . import views

urlpatterns = [
    path("periods/<int:period_id>/indicators/", views.period_indicators, name="period_indicators"),
]
