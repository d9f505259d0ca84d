package io.keyhold.secrets.internal;

import java.util.function.Function;

/** Where master keys come from: the process environment, or a stand-in in tests. */
@FunctionalInterface
public interface Environment extends Function<String, String> {
    static Environment system() {
        return System::getenv;
    }
}
