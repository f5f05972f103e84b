package io.bloomj.serve;

/**
 * A request the API refuses, with the HTTP status and OpenAI's error object fields
 * ({@code {"error": {"message", "type", "param", "code"}}}).
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiException(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400, {@code invalid_request_error}, naming the offending parameter. */
    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message);
    }
}
