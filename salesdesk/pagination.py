"""Pagination that never counts the whole table: fetch one row more than a page to know if a
next page exists. A list of millions of rows costs the same as a list of fifty."""

from django.http import Http404

PAGE_SIZES = (20, 50, 100)
MAX_PAGE = 10_000


class Window:
    def __init__(self, queryset, request, default_size=PAGE_SIZES[0]):
        try:
            self.per_page = int(request.GET.get("per_page", default_size))
            self.number = int(request.GET.get("page", 1))
        except ValueError:
            raise Http404("Invalid page")
        if self.per_page not in PAGE_SIZES:
            self.per_page = default_size
        if not 1 <= self.number <= MAX_PAGE:
            raise Http404("Invalid page")
        offset = (self.number - 1) * self.per_page
        rows = list(queryset[offset : offset + self.per_page + 1])
        self.has_next = len(rows) > self.per_page
        self.object_list = rows[: self.per_page]
        self.has_previous = self.number > 1
        self.start_index = offset + 1 if self.object_list else 0
        self.end_index = offset + len(self.object_list)
        if not self.object_list and self.number > 1:
            raise Http404("No such page")

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def previous_page_number(self):
        return self.number - 1
