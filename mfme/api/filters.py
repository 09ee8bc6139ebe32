"""The API's filter backend: django-filter with every relational filter scoped to the caller.

A ``ModelChoiceFilter`` (which django-filter generates for each foreign key in a FilterSet's
``Meta.fields``) validates its value against, and lists in the browsable API's filter form, the
rows of its queryset: by default every institution's. Here each one is narrowed to the rows the
request's user may see (``institutions.selectors.scoped_queryset``), so that another
institution's id is refused exactly as an id that does not exist (400 ``invalid_choice``, no
existence oracle) and the HTML form lists only the caller's own rows. This holds for every
FilterSet, declared or generated from ``filterset_fields``, without each one having to remember.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django_filters.filters import QuerySetRequestMixin
from django_filters.filterset import BaseFilterSet
from django_filters.rest_framework import DjangoFilterBackend


def _scoped(queryset: QuerySet[Any], *, user: Any) -> QuerySet[Any]:
    from institutions.selectors import INSTITUTION_PATH, scoped_queryset

    if queryset.model not in INSTITUTION_PATH:
        # Fail closed: a filter over rows that cannot be scoped would list them all.
        raise ImproperlyConfigured(
            f"Relational filter over {queryset.model.__name__}, which has no institution path "
            "(institutions.selectors.INSTITUTION_PATH): its choices cannot be scoped."
        )
    return queryset & scoped_queryset(queryset.model, user=user)


def filterset_scope(filterset: BaseFilterSet, *, user: Any) -> BaseFilterSet:
    """Narrow the choices of every relational filter of ``filterset`` to what ``user`` sees."""
    for filter_ in filterset.filters.values():
        if not isinstance(filter_, QuerySetRequestMixin):
            continue
        queryset = filter_.get_queryset(filterset.request)
        if queryset is None:
            continue
        filter_.queryset = _scoped(queryset, user=user)
        # The form field is built once and keeps the queryset it was built with.
        filter_.__dict__.pop("_field", None)
    return filterset


class ScopedFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request: Any, queryset: QuerySet[Any], view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        return filterset_scope(filterset, user=request.user)
