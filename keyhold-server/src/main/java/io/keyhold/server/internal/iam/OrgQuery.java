package io.keyhold.server.internal.iam;

import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.http.Paging;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A list query over one organization's rows of a table: the {@code WHERE} clause with its
 * parameters, and the query filters that the list's paging links keep.
 */
final class OrgQuery {
    private final StringBuilder where = new StringBuilder("org_id = ?");
    private final List<Object> params = new ArrayList<>();
    private final Map<String, String> filters = new LinkedHashMap<>();

    OrgQuery(String orgId) {
        params.add(orgId);
    }

    /** Narrows the query by {@code AND clause}, and keeps the filter {@code name=value} in the list links. */
    OrgQuery and(String name, String value, String clause, Object... clauseParams) {
        filters.put(name, value);
        where.append(" AND ").append(clause);
        Collections.addAll(params, clauseParams);
        return this;
    }

    Map<String, String> filters() {
        return filters;
    }

    /** How many rows of {@code table} match. */
    long count(Sql sql, String table) {
        return sql.count("SELECT COUNT(*) FROM " + table + " WHERE " + where, params.toArray());
    }

    /** The matching rows of this page, oldest first; {@code rows} runs a query given its WHERE clause and parameters. */
    <T> List<T> page(Paging paging, BiFunction<String, Object[], List<T>> rows) {
        List<Object> all = new ArrayList<>(params);
        all.add(paging.size());
        all.add(paging.offset());
        return rows.apply(where + " ORDER BY created_at, id LIMIT ? OFFSET ?", all.toArray());
    }
}
