package io.keyhold.cli.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Asks a yes/no question on the terminal; anything but "y"/"yes" (or no input at all) is a no. */
public final class Confirm {
    private Confirm() {
    }

    public static boolean ask(CommandLine cl, String question) {
        cl.getErr().print(question + " [y/N] ");
        cl.getErr().flush();
        try {
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return answer != null && (answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"));
        } catch (IOException e) {
            return false;
        }
    }
}
