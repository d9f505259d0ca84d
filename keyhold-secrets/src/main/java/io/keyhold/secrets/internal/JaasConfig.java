package io.keyhold.secrets.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The options of a {@code sasl.jaas.config} value, located by character position so that one
 * option's value can be replaced without touching the rest of the text:
 * {@code <LoginModuleClass> <flag> name=value ... ;}
 */
public final class JaasConfig {
    /** One option; {@code value} is the raw token, quotes included, at {@code [start, end)}. */
    public record Option(String loginModule, String name, String value, int nameStart, int start, int end) {
    }

    private JaasConfig() {
    }

    /** Parses the options, or throws {@link SecretsException} when the text is not a JAAS configuration. */
    public static List<Option> parse(String text) {
        List<Option> options = new ArrayList<>();
        int i = skipSpace(text, 0);
        if (i >= text.length()) {
            throw invalid("it is empty");
        }
        while (i < text.length()) {
            int moduleStart = i;
            i = wordEnd(text, i);
            String module = text.substring(moduleStart, i);
            if (module.isEmpty()) {
                throw invalid("expected a login module class name");
            }
            i = skipSpace(text, i);
            int flagStart = i;
            i = wordEnd(text, i);
            String flag = text.substring(flagStart, i);
            if (!List.of("required", "requisite", "sufficient", "optional").contains(flag)) {
                throw invalid("the control flag of " + module + " must be required, requisite, sufficient or optional");
            }
            i = skipSpace(text, i);
            while (i < text.length() && text.charAt(i) != ';') {
                int nameStart = i;
                while (i < text.length() && text.charAt(i) != '=' && text.charAt(i) != ';'
                        && !Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
                String name = text.substring(nameStart, i);
                i = skipSpace(text, i);
                if (name.isEmpty() || i >= text.length() || text.charAt(i) != '=') {
                    throw invalid("no value is given for the option \"" + name + "\"");
                }
                i = skipSpace(text, i + 1);
                int valueStart = i;
                i = valueEnd(text, i);
                if (i == valueStart) {
                    throw invalid("no value is given for the option \"" + name + "\"");
                }
                options.add(new Option(module, name, text.substring(valueStart, i), nameStart, valueStart, i));
                i = skipSpace(text, i);
            }
            if (i >= text.length()) {
                throw invalid("it does not end with ';'");
            }
            i = skipSpace(text, i + 1);
        }
        return options;
    }

    /** True when the text parses as a JAAS configuration. */
    public static boolean isJaas(String text) {
        try {
            parse(text);
            return true;
        } catch (SecretsException e) {
            return false;
        }
    }

    /** Replaces the value of an existing option, or adds the option to the last login module. */
    public static String withOption(String text, String loginModule, String name, String value) {
        for (Option option : parse(text)) {
            if (option.loginModule().equals(loginModule) && option.name().equals(name)) {
                return text.substring(0, option.start()) + value + text.substring(option.end());
            }
        }
        int end = text.lastIndexOf(';');
        String head = text.substring(0, end).stripTrailing();
        return head + " " + name + "=" + value + text.substring(end);
    }

    /** Removes an option (name, '=' and value) with the white space before it. */
    public static String withoutOption(String text, String loginModule, String name) {
        for (Option option : parse(text)) {
            if (option.loginModule().equals(loginModule) && option.name().equals(name)) {
                int from = option.nameStart();
                while (from > 0 && Character.isWhitespace(text.charAt(from - 1))) {
                    from--;
                }
                return text.substring(0, from) + text.substring(option.end());
            }
        }
        throw new SecretsException("the JAAS configuration has no option \"" + name + "\" for " + loginModule,
                "Check the option name with `secret file decrypt`.");
    }

    private static int valueEnd(String text, int i) {
        if (text.charAt(i) == '"') {
            i++;
            while (i < text.length() && text.charAt(i) != '"') {
                i += text.charAt(i) == '\\' ? 2 : 1;
            }
            if (i >= text.length()) {
                throw invalid("a quoted value is not closed");
            }
            return i + 1;
        }
        while (i < text.length() && text.charAt(i) != ';' && !Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int wordEnd(String text, int i) {
        while (i < text.length() && !Character.isWhitespace(text.charAt(i)) && text.charAt(i) != ';') {
            i++;
        }
        return i;
    }

    private static int skipSpace(String text, int i) {
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static SecretsException invalid(String why) {
        return new SecretsException("invalid JAAS configuration: " + why,
                "A JAAS configuration reads: <LoginModuleClass> required name=\"value\" ...;");
    }
}
