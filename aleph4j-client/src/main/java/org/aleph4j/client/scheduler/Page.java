package org.aleph4j.client.scheduler;

import java.util.List;

/** Upstream's paginated envelope {@code {items, pagination:{total_items, page, page_size}}}. */
public record Page<T>(List<T> items, Pagination pagination) {
    public Page {
        items = items == null ? List.of() : List.copyOf(items);
    }

    /** Totals of a paginated answer. */
    public record Pagination(long totalItems, int page, int pageSize) {}
}
