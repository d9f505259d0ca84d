package io.keyhold.server.internal.http;

/** Builds {@code self}/{@code related} URLs and CRNs ({@code crn://<authority>/organization=<id>/...}). */
public final class Links {
    private volatile String baseUrl = "http://localhost";
    private final String crnAuthority;

    public Links(String crnAuthority) {
        this.crnAuthority = crnAuthority;
    }

    /** Set once the server listens (before any request is served). */
    public void setBaseUrl(String url) {
        this.baseUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
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
