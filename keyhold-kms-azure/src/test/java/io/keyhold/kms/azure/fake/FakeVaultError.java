package io.keyhold.kms.azure.fake;

/** A Key Vault error answer: status and the {@code {"error":{"code","message","innererror"}}} body. */
final class FakeVaultError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String code;
    final String inner;

    FakeVaultError(int status, String code, String inner, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.inner = inner;
    }

    static FakeVaultError forbidden(String inner, String message) {
        return new FakeVaultError(403, "Forbidden", inner, message);
    }

    static FakeVaultError badParameter(String message) {
        return new FakeVaultError(400, "BadParameter", null, message);
    }

    static FakeVaultError keyNotFound(String name) {
        return new FakeVaultError(404, "KeyNotFound", null, "A key with (name/id) " + name + " was not found in this key vault. If you"
                + " recently deleted this key you may be able to recover it using the correct recovery command.");
    }
}
