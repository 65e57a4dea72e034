"""Pages of a long list, with links that keep the rest of the address (filters, sort)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator


@dataclass(frozen=True)
class Pagination:
    """What templates/_pagination.html shows: Previous, the page numbers (… where some are left
    out) and Next, each with its query string; nothing when there is one page."""

    page: Page
    links: list[tuple[int | str, str | None]]  # (number, query), query None for the ellipsis
    previous: str | None
    next: str | None

    @property
    def shown(self) -> bool:
        return self.page.paginator.num_pages > 1


def pagination(page: Page, *, query: Callable[[int], str]) -> Pagination:
    """query(number): the query string of that page, with the other parameters kept."""
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return Pagination(
        page=page,
        links=[(n, None if n == Paginator.ELLIPSIS else query(n)) for n in numbers],
        previous=query(page.previous_page_number()) if page.has_previous() else None,
        next=query(page.next_page_number()) if page.has_next() else None,
    )
