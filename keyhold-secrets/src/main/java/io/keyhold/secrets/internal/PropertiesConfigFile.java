package io.keyhold.secrets.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A .properties config file. Values of JAAS keys are opened up into one entry per login-module
 * option, named {@code <key>/<LoginModuleClass>/<option>}, so a single password inside a JAAS
 * string can be encrypted and replaced on its own, as Confluent's CLI does.
 */
final class PropertiesConfigFile implements ConfigFile {
    private static final Pattern JAAS_KEY = Pattern.compile("(?i).jaas");

    private final PropertiesDocument document;

    private PropertiesConfigFile(PropertiesDocument document) {
        this.document = document;
    }

    static PropertiesConfigFile parse(byte[] bytes) {
        return new PropertiesConfigFile(PropertiesDocument.parse(bytes));
    }

    @Override
    public Map<String, String> entries() {
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : document.entries().entrySet()) {
            result.put(e.getKey(), e.getValue());
            if (isJaasKey(e.getKey()) && JaasConfig.isJaas(e.getValue())) {
                for (JaasConfig.Option option : JaasConfig.parse(e.getValue())) {
                    result.put(e.getKey() + "/" + option.loginModule() + "/" + option.name(), option.value());
                }
            }
        }
        return result;
    }

    @Override
    public String get(String key) {
        String plain = document.get(key);
        if (plain != null) {
            return plain;
        }
        JaasPath path = JaasPath.of(key);
        if (path == null || !document.contains(path.configKey)) {
            return null;
        }
        return entries().get(key);
    }

    @Override
    public void set(String key, String value) {
        JaasPath path = document.contains(key) ? null : JaasPath.of(key);
        if (path != null && document.contains(path.configKey)) {
            String jaas = document.get(path.configKey);
            document.set(path.configKey, JaasConfig.withOption(jaas, path.loginModule, path.option, value));
        } else {
            document.set(key, value);
        }
    }

    @Override
    public boolean remove(String key) {
        if (document.remove(key)) {
            return true;
        }
        JaasPath path = JaasPath.of(key);
        if (path == null || get(key) == null) {
            return false;
        }
        String jaas = document.get(path.configKey);
        document.set(path.configKey, JaasConfig.withoutOption(jaas, path.loginModule, path.option));
        return true;
    }

    @Override
    public KeySyntax keySyntax() {
        return KeySyntax.JAVA;
    }

    @Override
    public void registerProvider(String providerClass) {
        document.set(PROVIDERS_KEY, ConfigFile.withSecurePass(document.get(PROVIDERS_KEY)));
        document.set(PROVIDER_CLASS_KEY, providerClass);
    }

    @Override
    public byte[] toBytes() {
        return document.toBytes();
    }

    private static boolean isJaasKey(String key) {
        return JAAS_KEY.matcher(key).find();
    }

    /** {@code <jaas key>/<LoginModuleClass>/<option>}: the JAAS key itself never holds '/'. */
    private record JaasPath(String configKey, String loginModule, String option) {
        static JaasPath of(String key) {
            List<String> parts = List.of(key.split("/", -1));
            if (parts.size() != 3 || parts.stream().anyMatch(String::isEmpty) || !isJaasKey(parts.get(0))) {
                return null;
            }
            return new JaasPath(parts.get(0), parts.get(1), parts.get(2));
        }
    }
}
