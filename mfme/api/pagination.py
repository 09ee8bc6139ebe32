"""Cursor pagination for every list: stable under concurrent inserts, no COUNT(*) on big tables."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-id"
