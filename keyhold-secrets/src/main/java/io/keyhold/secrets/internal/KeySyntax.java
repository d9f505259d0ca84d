package io.keyhold.secrets.internal;

/** How the key text of a {@code .properties} line maps to a name, and a name back to key text. */
public enum KeySyntax {
    /**
     * {@link java.util.Properties}: every escape decodes, so {@code a\.b} names {@code a.b}. Config
     * files are read this way because Kafka reads them with {@code java.util.Properties}; new keys
     * are written as {@code Properties.store} would.
     */
    JAVA,
    /**
     * Names of JSON paths, as in secrets files and in {@code --config} pairs for JSON config files:
     * {@code \.} (a dot inside one JSON key) stays part of the name, so
     * {@code config.json/a\.b} and {@code config.json/a.b} remain two names for two JSON paths.
     * Every other escape decodes as in {@link #JAVA}. New names are written as Confluent's CLI
     * writes them ({@code \.} as is, {@code ' '} and {@code ':'} escaped), except where that
     * text would read back as another name: see {@link PropertiesEscapes#escapeKey}.
     */
    ESCAPED_DOTS_KEPT
}
