package io.keyhold.server.internal.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.server.internal.util.Json;
import io.javalin.http.Context;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code page_size} / {@code page_token} paging and the list metadata links. The token is opaque
 * to clients; inside it is a versioned offset, checked strictly so that a forged or truncated token
 * is a 400, never a 500.
 */
public final class Paging {
    public static final int DEFAULT_SIZE = 10;
    public static final int MAX_SIZE = 100;
    private static final String PREFIX = "p1.";

    private final int size;
    private final int offset;

    private Paging(int size, int offset) {
        this.size = size;
        this.offset = offset;
    }

    public int size() {
        return size;
    }

    public int offset() {
        return offset;
    }

    /** This page of a list held whole in memory. */
    public <T> List<T> page(List<T> all) {
        return all.stream().skip(offset).limit(size).toList();
    }

    /** Reads {@code page_size} and {@code page_token} from the query. */
    public static Paging of(Context ctx) {
        String sizeText = ctx.queryParam("page_size");
        int size = DEFAULT_SIZE;
        if (sizeText != null) {
            try {
                size = Integer.parseInt(sizeText);
            } catch (NumberFormatException e) {
                throw ApiException.invalidFilter("page_size", "page_size must be an integer from 1 to " + MAX_SIZE);
            }
            if (size < 1 || size > MAX_SIZE) {
                throw ApiException.invalidFilter("page_size", "page_size must be an integer from 1 to " + MAX_SIZE);
            }
        }
        String token = ctx.queryParam("page_token");
        int offset = 0;
        if (token != null) {
            offset = decode(token);
        }
        return new Paging(size, offset);
    }

    private static int decode(String token) {
        ApiException bad = ApiException.invalidFilter("page_token", "page_token is not a token this server issued");
        if (token.isEmpty() || token.length() > 255) {
            throw bad;
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.US_ASCII);
            if (!text.startsWith(PREFIX) || text.length() > 16) {
                throw bad;
            }
            int offset = Integer.parseInt(text.substring(PREFIX.length()));
            if (offset < 0) {
                throw bad;
            }
            return offset;
        } catch (IllegalArgumentException e) {
            throw bad;
        }
    }

    static String encode(int offset) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((PREFIX + offset).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The list {@code metadata}: first/last always, prev/next null when there is no such page, the
     * filters kept in every link.
     */
    public ObjectNode metadata(String baseUrl, String path, Map<String, String> filters, long total) {
        ObjectNode m = Json.object();
        m.put("first", link(baseUrl, path, filters, -1));
        long lastOffset = total == 0 ? 0 : ((total - 1) / size) * size;
        m.put("last", link(baseUrl, path, filters, (int) lastOffset));
        if (offset > 0) {
            m.put("prev", link(baseUrl, path, filters, Math.max(0, offset - size)));
        } else {
            m.putNull("prev");
        }
        if (offset + size < total) {
            m.put("next", link(baseUrl, path, filters, offset + size));
        } else {
            m.putNull("next");
        }
        m.put("total_size", total);
        return m;
    }

    private String link(String baseUrl, String path, Map<String, String> filters, int targetOffset) {
        Map<String, String> q = new LinkedHashMap<>(filters);
        if (size != DEFAULT_SIZE) {
            q.put("page_size", Integer.toString(size));
        }
        if (targetOffset > 0) {
            q.put("page_token", encode(targetOffset));
        }
        StringBuilder sb = new StringBuilder(baseUrl).append(path);
        char sep = '?';
        for (Map.Entry<String, String> e : q.entrySet()) {
            sb.append(sep).append(enc(e.getKey())).append('=').append(enc(e.getValue()));
            sep = '&';
        }
        return sb.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Refuses query parameters that the endpoint does not know: a typo must not silently widen a list. */
    public static void onlyParams(Context ctx, String resource, Set<String> allowed) {
        for (String name : ctx.queryParamMap().keySet()) {
            if (!allowed.contains(name)) {
                throw ApiException.invalidFilter(name, "The '" + resource + "' resource can't be filtered by '" + name + "'");
            }
        }
    }
}
