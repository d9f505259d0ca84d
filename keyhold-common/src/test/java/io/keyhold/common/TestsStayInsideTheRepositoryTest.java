package io.keyhold.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Anyone who clones Keyhold has only the repository: the build and its tests must not reach for
 * anything beside it (the developers' shared folder, the contract notes, a machine path). This test
 * reads every source and build file of the repository and fails on any reference that climbs out
 * of it, so such a dependency cannot come back unnoticed. Third-party facts that tests need live in
 * the repository instead (for example {@code keyhold-server/src/test/resources/third-party/}).
 */
class TestsStayInsideTheRepositoryTest {
    // Spelled in pieces so that this file does not match its own patterns.
    private static final String UP = "..";
    private static final String SHARED = "sha" + "red";
    private static final List<Pattern> OUTSIDE = List.of(
            Pattern.compile(Pattern.quote(UP + "/" + SHARED)),
            Pattern.compile(Pattern.quote(SHARED + "/" + "compat")),
            Pattern.compile(Pattern.quote(SHARED + "/" + "peers")),
            // walking up the directory tree to look for the shared folder
            Pattern.compile("resolve\\(\\s*\"" + SHARED + "\"\\s*\\)"));
    private static final Set<String> READ = Set.of(".java", ".xml", ".properties", ".yaml", ".yml", ".json", ".sh", ".conf");
    private static final Set<String> SKIPPED_DIRS = Set.of(".git", "target", "node_modules", "data");

    @Test
    void noSourceOrBuildFileReferencesAnythingBesideTheRepository() throws IOException {
        Path root = repositoryRoot();
        List<String> offences = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile)
                    .filter(f -> !isUnderSkippedDir(root, f))
                    .filter(TestsStayInsideTheRepositoryTest::isChecked)
                    .forEach(f -> offences.addAll(offencesIn(root, f)));
        }
        assertThat(offences)
                .as("files that reach outside the repository; keep what they need inside it instead")
                .isEmpty();
    }

    @Test
    void thePatternsCatchWhatTheyAreFor() {
        assertThat(matches("Path.of(\"" + UP + "/" + SHARED + "/compat/openapi\")")).isTrue();
        assertThat(matches("p.resolve(\"" + SHARED + "\").resolve(\"compat\")")).isTrue();
        assertThat(matches("server.create(\"" + SHARED + "\");")).isFalse();
    }

    private static boolean matches(String line) {
        return OUTSIDE.stream().anyMatch(p -> p.matcher(line).find());
    }

    private static List<String> offencesIn(Path root, Path file) {
        List<String> found = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (matches(lines.get(i))) {
                    found.add(root.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        } catch (java.nio.charset.MalformedInputException e) {
            // not text: nothing a build reads as a path
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    private static boolean isChecked(Path file) {
        String name = file.getFileName().toString();
        if (name.equals("run") && file.getParent().getFileName().toString().equals(".ci")) {
            return true;
        }
        int dot = name.lastIndexOf('.');
        return dot >= 0 && READ.contains(name.substring(dot));
    }

    private static boolean isUnderSkippedDir(Path root, Path file) {
        for (Path part : root.relativize(file)) {
            if (SKIPPED_DIRS.contains(part.toString())) {
                return true;
            }
        }
        return false;
    }

    /** The directory with the parent pom: this module's parent when run by Maven. */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isRegularFile(p.resolve("mvnw"))) {
                return p;
            }
        }
        throw new IllegalStateException("not run inside the Keyhold repository");
    }
}
