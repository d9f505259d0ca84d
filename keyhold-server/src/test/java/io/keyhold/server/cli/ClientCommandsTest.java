package io.keyhold.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.kmip.pykmip.PyKmipAdmin;
import io.keyhold.kms.kmip.pykmip.PyKmipServer;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.support.CloudKmsFakes;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The CLI over a real server: every command group, its output formats, errors and exit codes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "CLITESTBOOTKEY01";
    private static final String SECRET = "cliTestSecret0123456789abcdefghijABCDEFGHIJ";

    @TempDir
    static Path tmp;
    KeyholdServer server;
    Map<String, String> env;
    PyKmipServer kmip;
    /** Where the keys the commands register are validated: never the real clouds. */
    CloudKmsFakes cloud;

    @Command(name = "keyhold")
    static final class Root {
    }

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    @BeforeAll
    void start() throws Exception {
        kmip = PyKmipServer.start(Files.createDirectories(tmp.resolve("kmip")));
        cloud = CloudKmsFakes.start();
        Map<String, String> kms = new HashMap<>(cloud.kmsSettings());
        kmip.settings("hsm", PyKmipServer.KEYHOLD_USER).forEach((k, v) -> kms.put("kmip." + k, v));
        server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp.resolve("data")).httpPort(0).bind("127.0.0.1")
                .bootstrapCredentials(KEY, SECRET).validationInterval(Duration.ofMillis(100)).printBootstrapSecret(false)
                .gcpSecurityGroup("keyhold-kms@acme.example").kmsSettings(kms)
                .build());
        env = new HashMap<>();
        env.put("HOME", tmp.resolve("home").toString());
        ClientCommands.useEnvironment(env);
    }

    @AfterAll
    void stop() {
        ClientCommands.useEnvironment(System.getenv());
        server.close();
        kmip.close();
        cloud.close();
    }

    @Test
    void byokCreateOfAKmipKeyTakesKeyTextOrTheServerOptionAndSaysWhatTheObjectMustBe() throws Exception {
        Map<String, String> own = new HashMap<>(env);
        own.put("HOME", tmp.resolve("home-kmip").toString());
        ClientCommands.useEnvironment(own);
        try (PyKmipAdmin admin = new PyKmipAdmin(kmip, "hsm")) {
            assertThat(run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", SECRET).code()).isZero();
            String uid = admin.createObject(null);
            Run byText = run("byok", "create", "kmip:hsm/" + uid);
            assertThat(byText.code()).as(byText.err()).isZero();
            assertThat(byText.out()).contains("On KMIP server hsm, object " + uid + " must be an Active AES-256 Symmetric Key")
                    .contains("Encrypt and Decrypt").contains("register it by name to rotate");
            String name = "cli-orders";
            admin.createObject(name);
            Run byOption = run("byok", "create", "name:" + name, "--kmip-server", "hsm", "-o", "json");
            assertThat(byOption.code()).as(byOption.err()).isZero();
            assertThat(byOption.json().path("key").asText()).isEqualTo("kmip:hsm/name:" + name);
            awaitValid(byOption.json().path("id").asText());
            Run list = run("byok", "list", "--cloud", "kmip", "-o", "json");
            assertThat(list.json()).hasSize(2);
            assertThat(run("byok", "create", "kmip:hsm").err()).contains("kmip:<server>/<unique identifier>");
            for (JsonNode k : list.json()) {
                assertThat(run("byok", "delete", k.path("id").asText(), "--force").code()).isZero();
            }
        } finally {
            ClientCommands.useEnvironment(env);
        }
    }

    @Test
    void byokCreateOfAnAzureKeyTakesTheIssuesOptionNamesAndTheOldOnesAndPrintsTheRoleAssignment() throws Exception {
        Map<String, String> own = new HashMap<>(env);
        own.put("HOME", tmp.resolve("home-azure").toString()); // a login of its own: the other test starts logged out
        ClientCommands.useEnvironment(own);
        try {
            azureKeyThroughTheCli();
        } finally {
            ClientCommands.useEnvironment(env);
        }
    }

    private void azureKeyThroughTheCli() throws Exception {
        assertThat(run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", SECRET).code()).isZero();
        String vault = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/orders";
        String tenant = "5b1c7a3e-0d2f-4c8e-9a61-7f3e2d1c0b9a";
        Run missing = run("byok", "create", "https://orders.vault.azure.net/keys/cli-az");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("--key-vault-id and --tenant-id");
        Run created = run("byok", "create", "https://orders.vault.azure.net/keys/cli-az/0123456789abcdef0123456789abcdef",
                "--key-vault-id", vault, "--tenant-id", tenant);
        assertThat(created.code()).as(created.err()).isZero();
        assertThat(created.out()).contains("az login --tenant " + tenant)
                .contains("az role assignment create --role \"Key Vault Crypto Service Encryption User\"")
                .contains("--scope " + vault + "/keys/cli-az")
                .contains("--enable-purge-protection true");
        Run aliases = run("byok", "create", "https://orders.vault.azure.net/keys/cli-az-2", "--key-vault", vault, "--tenant", tenant,
                "-o", "json");
        assertThat(aliases.code()).as(aliases.err()).isZero();
        assertThat(aliases.out()).contains("https://orders.vault.azure.net/keys/cli-az-2");
    }

    @Test
    void byokRotateAndAuditListThroughTheCli() throws Exception {
        Map<String, String> own = new HashMap<>(env);
        own.put("HOME", tmp.resolve("home-audit").toString());
        ClientCommands.useEnvironment(own);
        try {
            assertThat(run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", SECRET).code()).isZero();
            RemoteLocalKms.fromContext().orElseThrow().apply("create", "cli-rotated", null);
            Run local = run("byok", "create", "cli-rotated", "--local", "-o", "json");
            assertThat(local.code()).as(local.err()).isZero();
            String keyId = local.json().path("id").asText();
            awaitValid(keyId);
            assertThat(run("byok", "describe", keyId, "-o", "json").json().path("current_version").asText()).isEqualTo("1");

            Run rotated = run("byok", "rotate", keyId, "-o", "json");
            assertThat(rotated.code()).as(rotated.err()).isZero();
            assertThat(rotated.json().path("current_version").asText()).isEqualTo("2");
            assertThat(rotated.json().path("last_rotated_at").asText()).isNotEmpty();
            Run human = run("byok", "rotate", keyId);
            assertThat(human.out()).contains("Current Version").contains("3").contains("Last Rotated At");
            assertThat(run("byok", "rotate", "cck-nosuchkey").code()).isEqualTo(3);

            JsonNode events = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                Run list = run("audit", "list", "--key", keyId, "--type", "key-rotated", "--since", "1h", "-o", "json");
                assertThat(list.code()).as(list.err()).isZero();
                events = list.json();
                if (events.size() == 2) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(events).hasSize(2);
            assertThat(events.get(0).path("key_version").asText()).isEqualTo("3"); // newest first
            assertThat(events.get(1).path("message").asText()).contains("version 1 -> 2");
            assertThat(events.get(0).path("event_type").asText()).isEqualTo("KEY_ROTATED");

            Run table = run("audit", "list", "--key", keyId, "--limit", "3");
            assertThat(table.code()).as(table.err()).isZero();
            assertThat(table.out()).contains("Time").contains("Event Type").contains("KEY_ROTATED");
            assertThat(table.out().lines().count()).isEqualTo(4); // header and three events
            assertThat(run("audit", "list", "--type", "KMS_CALL", "--key", keyId, "-o", "json").json())
                    .anySatisfy(e -> assertThat(e.path("operation").asText()).isEqualTo("rotate"));
            assertThat(run("audit", "list", "--until", "2000-01-01T00:00:00Z", "-o", "json").json()).isEmpty();

            Run badSince = run("audit", "list", "--since", "yesterday");
            assertThat(badSince.code()).isEqualTo(2);
            assertThat(badSince.err()).contains("--since must be a duration");
            Run badType = run("audit", "list", "--type", "NOPE");
            assertThat(badType.code()).isNotZero();
            assertThat(badType.err()).contains("event_type");
        } finally {
            ClientCommands.useEnvironment(env);
        }
    }

    @Test
    void byokCreateOfAPkcs11KeyTakesAUriOrTheTokenOptionAndPrintsWhatTheKeyAndServerNeed() throws Exception {
        Map<String, String> own = new HashMap<>(env);
        own.put("HOME", tmp.resolve("home-pkcs11").toString());
        ClientCommands.useEnvironment(own);
        try {
            assertThat(run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", SECRET).code()).isZero();
            Run uri = run("byok", "create", "pkcs11:token=prod%20hsm;object=orders-kek");
            assertThat(uri.code()).as(uri.err()).isZero();
            assertThat(uri.out()).contains("pkcs11:token=prod%20hsm;object=orders-kek").contains("PKCS11")
                    .contains("On the HSM token 'prod hsm', the secret key labelled 'orders-kek'")
                    .contains("CKA_EXTRACTABLE=false").contains("kms.pkcs11.library").contains("kms.pkcs11.pin-file");
            Run option = run("byok", "create", "payments-kek", "--pkcs11-token", "prod hsm", "-o", "json");
            assertThat(option.code()).as(option.err()).isZero();
            assertThat(option.json().path("key").asText()).isEqualTo("pkcs11:token=prod%20hsm;object=payments-kek");
            JsonNode mine = run("byok", "list", "--cloud", "pkcs11", "-o", "json").json();
            assertThat(mine).hasSize(2);
            deleteAll(mine); // the organization's key count is another test's assertion
            Run bad = run("byok", "create", "pkcs11:token=prod;slot=1");
            assertThat(bad.code()).isEqualTo(2);
            assertThat(bad.err()).contains("invalid key format");
        } finally {
            ClientCommands.useEnvironment(env);
        }
    }

    @Test
    void byokCreateOfAVaultKeyTakesItsPathOrTheMountOptionAndPrintsThePolicy() throws Exception {
        Map<String, String> own = new HashMap<>(env);
        own.put("HOME", tmp.resolve("home-vault").toString());
        ClientCommands.useEnvironment(own);
        try {
            assertThat(run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", SECRET).code()).isZero();
            Run path = run("byok", "create", "kafka/transit/keys/orders");
            assertThat(path.code()).as(path.err()).isZero();
            assertThat(path.out()).contains("kafka/transit/keys/orders").contains("Vault")
                    .contains("path \"kafka/transit/encrypt/orders\" { capabilities = [\"update\"] }")
                    .contains("path \"kafka/transit/decrypt/orders\"").contains("deletion_allowed=false");
            Run option = run("byok", "create", "payments", "--vault-mount", "transit", "-o", "json");
            assertThat(option.code()).as(option.err()).isZero();
            assertThat(option.json().path("key").asText()).isEqualTo("transit/keys/payments");
            JsonNode mine = run("byok", "list", "--cloud", "vault", "-o", "json").json();
            assertThat(mine).hasSize(2);
            deleteAll(mine); // the organization's key count is another test's assertion
        } finally {
            ClientCommands.useEnvironment(env);
        }
    }

    private void deleteAll(JsonNode keys) {
        keys.forEach(k -> assertThat(run("byok", "delete", k.path("id").asText(), "--force").code()).isZero());
    }

    Run run(String... args) {
        return runWithInput("", args);
    }

    Run runWithInput(String stdin, String... args) {
        CommandLine cl = new CommandLine(new Root());
        ClientCommands.all().forEach(cl::addSubcommand);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        InputStream before = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes()));
        try {
            int code = cl.execute(args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setIn(before);
        }
    }

    @Test
    void endToEndThroughTheCli() throws Exception {
        Run noContext = run("byok", "list");
        assertThat(noContext.code()).isEqualTo(2);
        assertThat(noContext.err()).contains("keyhold login");

        Run badLogin = run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", "wrong");
        assertThat(badLogin.code()).isEqualTo(5);
        Run login = run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", SECRET);
        assertThat(login.code()).as(login.err()).isZero();
        Path config = tmp.resolve("home/.keyhold/config");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");

        // environments
        Run envs = run("environment", "list", "-o", "json");
        assertThat(envs.json().isArray()).isTrue();
        String defaultEnv = envs.json().get(0).path("id").asText();
        Run created = run("environment", "create", "cli-env", "-o", "json");
        String newEnv = created.json().path("id").asText();
        assertThat(run("environment", "list").out()).contains("cli-env").contains("ID");
        assertThat(run("environment", "delete", newEnv).code()).isZero();
        assertThat(run("environment", "use", defaultEnv).code()).isZero();

        // the local KMS through the server
        RemoteLocalKms kms = RemoteLocalKms.fromContext().orElseThrow();
        KeyInfo k = kms.apply("create", "cli-key", null);
        assertThat(k.state()).isEqualTo(KeyState.ENABLED);
        assertThat(kms.list()).extracting(KeyInfo::keyId).contains("cli-key");
        assertThat(kms.apply("rotate", "cli-key", null).currentVersion()).isEqualTo("2");

        // byok
        Run invalid = run("byok", "create", "not-a-key");
        assertThat(invalid.code()).isEqualTo(2);
        assertThat(invalid.err()).contains("invalid key format: not-a-key");
        Run aws = run("byok", "create", "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
        assertThat(aws.code()).as(aws.err()).isZero();
        assertThat(aws.out()).contains("key policy of arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
                .contains("\"kms:Decrypt\"", "\"kms:Encrypt\"", "\"kms:GenerateDataKey\"", "\"kms:DescribeKey\"",
                        "\"kms:GetKeyRotationStatus\"")
                .doesNotContain("ReEncrypt").doesNotContain("*\"]");
        Run gcp = run("byok", "create", "projects/acme-prod/locations/europe-west4/keyRings/kafka/cryptoKeys/orders");
        assertThat(gcp.code()).as(gcp.err()).isZero();
        assertThat(gcp.out()).contains("GCP").contains("group:keyhold-kms@acme.example")
                .contains("gcloud kms keys add-iam-policy-binding orders --keyring kafka --location europe-west4 --project acme-prod")
                .contains("--role roles/cloudkms.cryptoKeyEncrypterDecrypter").contains("--role roles/cloudkms.viewer")
                .contains("cloudkms.cryptoKeys.get");
        assertThat(run("byok", "delete", run("byok", "list", "--cloud", "gcp", "-o", "json").json().get(0).path("id").asText(), "--force")
                .code()).isZero();
        Run local = run("byok", "create", "cli-key", "--local", "--display-name", "CLI key", "-o", "json");
        assertThat(local.code()).as(local.err()).isZero();
        String keyId = local.json().path("id").asText();
        awaitValid(keyId);
        Run describe = run("byok", "describe", keyId);
        assertThat(describe.out()).contains("ID").contains("Display Name").contains("Validation Phase").contains("VALID")
                .contains("Cloud").contains("Local");
        Run list = run("byok", "list", "--cloud", "local", "-o", "json");
        assertThat(list.json().isArray()).isTrue();
        assertThat(list.json().get(0).path("id").asText()).isEqualTo(keyId);
        assertThat(run("byok", "list", "--state", "available", "-o", "yaml").out()).contains(keyId);
        assertThat(run("byok", "update", keyId, "--display-name", "renamed", "-o", "json").json().path("display_name").asText())
                .isEqualTo("renamed");
        Run missing = run("byok", "describe", "cck-missing");
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err()).contains("self-managed key \"cck-missing\" not found");

        // clusters
        Run cluster = run("kafka", "cluster", "create", "orders", "--cloud", "local", "--region", "local", "--type", "dedicated",
                "--byok", keyId, "-o", "json");
        assertThat(cluster.code()).as(cluster.err()).isZero();
        String clusterId = cluster.json().path("id").asText();
        assertThat(cluster.json().path("byok_key_id").asText()).isEqualTo(keyId);
        assertThat(run("kafka", "cluster", "describe", clusterId).out()).contains(keyId).contains("SELF_MANAGED");
        assertThat(run("kafka", "cluster", "list", "-o", "json").json().get(0).path("id").asText()).isEqualTo(clusterId);
        assertThat(run("kafka", "cluster", "update", clusterId, "--name", "orders-2", "-o", "json").json().path("name").asText())
                .isEqualTo("orders-2");
        Run inUse = run("byok", "delete", keyId, "--force");
        assertThat(inUse.code()).isEqualTo(4);
        assertThat(inUse.err()).contains("in use");
        Run declined = runWithInput("n\n", "kafka", "cluster", "delete", clusterId);
        assertThat(declined.code()).isEqualTo(4);
        assertThat(run("kafka", "cluster", "delete", clusterId, "--force").code()).isZero();
        assertThat(run("byok", "delete", keyId, "--force").err()).contains("held until");

        // api keys and quotas
        Run apiKey = run("api-key", "create", "--description", "ci", "-o", "json");
        String newKey = apiKey.json().path("key").asText();
        assertThat(apiKey.json().path("secret").asText()).hasSize(64);
        assertThat(run("api-key", "list", "-o", "json").out()).contains(newKey).doesNotContain(apiKey.json().path("secret").asText());
        assertThat(run("api-key", "delete", newKey, "--force").code()).isZero();
        Run quotas = run("service-quota", "list", "organization", "-o", "json");
        assertThat(quotas.json().get(0).path("quota_code").asText()).isEqualTo("byok.max_keys.per_org");
        assertThat(quotas.json().get(0).path("usage").asInt()).isEqualTo(2);

        // environment variables override the saved context
        env.put("KEYHOLD_API_SECRET", "wrong");
        try {
            assertThat(run("byok", "list").code()).isEqualTo(5);
        } finally {
            env.remove("KEYHOLD_API_SECRET");
        }
    }

    private void awaitValid(String keyId) throws Exception {
        for (int i = 0; i < 200; i++) {
            Run r = run("byok", "describe", keyId, "-o", "json");
            if (!r.json().path("validation_phase").asText().equals("INITIALIZING")) {
                assertThat(r.json().path("validation_phase").asText()).isEqualTo("VALID");
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("key stayed INITIALIZING");
    }
}
