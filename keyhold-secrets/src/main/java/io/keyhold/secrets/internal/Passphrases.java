package io.keyhold.secrets.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Passphrases given on the command line: a literal, {@code @<file>}, or {@code -} for standard input. */
public final class Passphrases {
    private Passphrases() {
    }

    /** Reads the passphrase an argument stands for. */
    public static String resolve(String argument, InputStream stdin, String flag) {
        if (argument == null) {
            throw new SecretsException(SecretsException.Kind.USAGE, "missing " + flag, "Give the passphrase as " + flag + " <passphrase>, "
                    + flag + " @<file>, or " + flag + " - to read it from standard input.");
        }
        if (argument.equals("-")) {
            try {
                return new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SecretsException("could not read the passphrase for " + flag + " from standard input",
                        "Pipe the passphrase into the command, or give it with " + flag + " @<file>.", e);
            }
        }
        if (argument.startsWith("@")) {
            Path file = Path.of(argument.substring(1));
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SecretsException("could not read the passphrase file \"" + file + "\" given to " + flag,
                        "Check that the file exists and is readable.", e);
            }
        }
        return argument;
    }

    /** Drops one trailing newline (as Confluent's CLI does) and refuses empty passphrases. */
    public static String normalize(String passphrase) {
        String phrase = passphrase == null ? "" : passphrase;
        if (phrase.endsWith("\n")) {
            phrase = phrase.substring(0, phrase.length() - 1);
        }
        if (phrase.isBlank()) {
            throw new SecretsException(SecretsException.Kind.USAGE, "master key passphrase cannot be empty",
                    "Give a passphrase with --passphrase <passphrase>, @<file> or - (standard input).");
        }
        return phrase;
    }
}
