package io.keyhold.kms.aws.fake;

/** An error the fake answers as AWS does: HTTP status and a JSON body {@code {"__type": ..., "message": ...}}. */
final class FakeKmsError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;

    FakeKmsError(int status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }

    static FakeKmsError client(String type, String message) {
        return new FakeKmsError(400, type, message);
    }

    static FakeKmsError notFound(String what) {
        return client("NotFoundException", what + " does not exist");
    }

    static FakeKmsError invalidCiphertext() {
        return client("InvalidCiphertextException", null);
    }
}
