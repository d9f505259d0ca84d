package io.keyhold.server.internal.http;

/** Builds {@code self}/{@code related} URLs and CRNs ({@code crn://<authority>/organization=<id>/...}). */
public final class Links {
    private final String baseUrl;
    private final String crnAuthority;

    public Links(String baseUrl, String crnAuthority) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.crnAuthority = crnAuthority;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public String url(String path) {
        return baseUrl + path;
    }

    public String orgCrn(String orgId) {
        return "crn://" + crnAuthority + "/organization=" + orgId;
    }

    public String crn(String orgId, String... segments) {
        StringBuilder sb = new StringBuilder(orgCrn(orgId));
        for (String s : segments) {
            sb.append('/').append(s);
        }
        return sb.toString();
    }
}
