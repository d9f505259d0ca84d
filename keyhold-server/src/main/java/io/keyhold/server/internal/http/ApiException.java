package io.keyhold.server.internal.http;

/**
 * An error that the API reports to the caller in the byok/v1 error format. Everything a handler
 * rejects is thrown as one of these; anything else becomes a generic 500 without details.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String title;
    private final String parameter;
    private final String pointer;

    private ApiException(int status, String code, String title, String detail, String parameter, String pointer) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.title = title;
        this.parameter = parameter;
        this.pointer = pointer;
    }

    public static ApiException badRequest(String code, String title, String detail, String parameter) {
        return new ApiException(400, code, title, detail, parameter, null);
    }

    public static ApiException invalidFilter(String parameter, String detail) {
        return badRequest("invalid_filter", "Invalid Filter", detail, parameter);
    }

    public static ApiException parameterMissing(String parameter) {
        return badRequest("parameter_missing", "Missing Parameter", "Missing Parameter: " + parameter, parameter);
    }

    public static ApiException malformedBody(String detail) {
        return new ApiException(400, "malformed_request", "Malformed Request", detail, null, null);
    }

    /** A body that is not well-formed (bad JSON, a broken chunked encoding), naming where when known. */
    public static ApiException malformedBody(String pointer, String detail) {
        return new ApiException(400, "malformed_request", "Malformed Request", detail, null, pointer);
    }

    public static ApiException unauthenticated(String detail) {
        return new ApiException(401, "user_unauthenticated", "Authentication Required", detail, null, null);
    }

    public static ApiException quotaExceeded(String title, String detail) {
        return new ApiException(402, "quota_exceeded", title, detail, null, null);
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(403, "user_unauthorized", "User Access Unauthorized", detail, null, null);
    }

    public static ApiException notFound(String detail) {
        return new ApiException(404, "not_found", "Not Found", detail, null, null);
    }

    public static ApiException conflict(String code, String title, String detail) {
        return new ApiException(409, code, title, detail, null, null);
    }

    public static ApiException alreadyExists(String detail) {
        return conflict("resource_already_exists", "Resource Already Exists", detail);
    }

    public static ApiException invalid(String pointer, String detail) {
        return new ApiException(422, "invalid_configuration", "Validation Failed", detail, null, pointer);
    }

    public static ApiException tooLarge(long limit) {
        return new ApiException(413, "request_too_large", "Request Entity Too Large",
                "The request body is larger than " + limit + " bytes", null, null);
    }

    public static ApiException rateLimited(long retryAfterSeconds) {
        return new ApiException(429, "too_many_requests", "Too Many Requests",
                "Rate limit exceeded; retry in " + retryAfterSeconds + " s", null, null);
    }

    public static ApiException tooManyFailedLogins(long retryAfterSeconds) {
        return new ApiException(429, "too_many_requests", "Too Many Requests",
                "Too many failed logins from this address or for this API key; retry in " + retryAfterSeconds + " s", null, null);
    }

    public static ApiException of(int status, String code, String title, String detail) {
        return new ApiException(status, code, title, detail, null, null);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    public String parameter() {
        return parameter;
    }

    public String pointer() {
        return pointer;
    }
}
