"""Paging of every list: page numbers and a total, every record reachable, a deep page as cheap as
the first.

- **The total** is exact when it is cheap: a count that stops at `EXACT_UP_TO` rows. Past that,
  PostgreSQL's planner estimate is shown as "约 N 条" (an exact COUNT(*) over 500,000 filtered rows
  would cost more than the page); SQLite, the small embedded default, counts exactly.
- **The page's ids first**: the ordered, filtered ids of one page are read alone (an index scan,
  no joins), then only those rows are read with their joins. OFFSET then skips index entries, not
  joined rows.
- **From the far end**: a page in the second half of an exactly counted list is read in the
  reverse order from the end, so the last page costs what the first does. `?page=last` is the
  last page even when the total is an estimate.
- **A page past the end** answers 404 at once, from the total, without reading rows.
"""

import json

from django.db import connections
from django.http import Http404

PAGE_SIZES = (20, 50, 100)
EXACT_UP_TO = 10_000  # rows counted exactly; beyond, the planner's estimate
LINKS_AROUND = 2  # page numbers shown either side of the current one


def count_rows(queryset):
    """(total, exact): an exact count up to EXACT_UP_TO rows, else PostgreSQL's estimate."""
    capped = queryset.order_by()[: EXACT_UP_TO + 1].count()
    if capped <= EXACT_UP_TO:
        return capped, True
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.order_by().count(), True
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return max(int(plan[0]["Plan"]["Plan Rows"]), capped), False


class Window:
    """One page of `queryset` (which must be ordered, with a unique tie-break such as the id)."""

    def __init__(self, queryset, request, default_size=PAGE_SIZES[0]):
        self.per_page = _int(request.GET.get("per_page"), default_size)
        if self.per_page not in PAGE_SIZES:
            self.per_page = default_size
        requested = request.GET.get("page", "1")
        queryset = with_tiebreak(queryset)
        self.total, self.exact = count_rows(queryset)
        self.num_pages = max(1, -(-self.total // self.per_page))
        last = requested == "last"
        self.number = self.num_pages if last else _int(requested, None)
        if self.number is None or not 1 <= self.number or (self.exact and self.number > self.num_pages):
            raise Http404("No such page")
        offset = (self.number - 1) * self.per_page
        if last and not self.exact:
            rows = list(reversed(_page(queryset.reverse(), 0, self.per_page)))
            self.has_next = False
        elif self.exact and offset > self.total // 2:
            from_end = max(0, self.total - offset - self.per_page)
            size = min(self.per_page, self.total - offset)
            rows = list(reversed(_page(queryset.reverse(), from_end, size)))
            self.has_next = self.number < self.num_pages
        else:
            rows = _page(queryset, offset, self.per_page + 1)
            self.has_next = len(rows) > self.per_page
            rows = rows[: self.per_page]
        if not rows and self.number > 1:
            raise Http404("No such page")
        self.object_list = rows
        self.has_previous = self.number > 1
        self.start_index = offset + 1 if rows else 0
        self.end_index = offset + len(rows)

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

    @property
    def page_links(self):
        """The page numbers to show: the first, the last, and a few around this one (None: a gap)."""
        around = range(max(1, self.number - LINKS_AROUND), min(self.num_pages, self.number + LINKS_AROUND) + 1)
        numbers = sorted({1, *around, *([self.num_pages] if self.exact else [])})
        links, previous = [], 0
        for number in numbers:
            if number - previous > 1:
                links.append(None)
            links.append(number)
            previous = number
        return links


def with_tiebreak(queryset):
    """The queryset ordered so that every row has one place: its ordering ends with the id."""
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering or [])
    if not any(field.lstrip("-") in ("pk", "id") for field in ordering if isinstance(field, str)):
        last = ordering[-1] if ordering and isinstance(ordering[-1], str) else ""
        ordering.append("-pk" if last.startswith("-") else "pk")
    return queryset.order_by(*ordering)


def _page(queryset, offset, size):
    """The rows at [offset, offset + size) of `queryset`: their ids first, then the rows."""
    if size <= 0:
        return []
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + size])
    if not ids:
        return []
    position = {pk: index for index, pk in enumerate(ids)}
    rows = queryset.order_by().filter(pk__in=ids)
    return sorted(rows, key=lambda row: position[row.pk])


def _int(value, default):
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Invalid page")
