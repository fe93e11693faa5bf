package dev.ordinal.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dockerfile.native and Dockerfile.jvm read the way the image tests need them: stages by name, each with its base
 * and instructions (continuation lines joined, comments dropped). No container engine runs where the tests run, so
 * the files are checked as text against the code and the build's outputs.
 */
public final class Dockerfile {

    /** One instruction: its keyword (upper case) and the rest of its line. */
    public record Instruction(String keyword, String arguments) {
    }

    /** One stage: {@code FROM base AS name}. */
    public record Stage(String name, String base, List<Instruction> instructions) {

        public List<String> arguments(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
        }

        /** The packages of every {@code apt-get install} in this stage's RUN instructions, options left out. */
        public List<String> aptPackages() {
            List<String> packages = new ArrayList<>();
            for (String run : arguments("RUN")) {
                for (String command : run.split("&&|;")) {
                    List<String> words = Arrays.asList(command.trim().split("\\s+"));
                    int install = words.indexOf("install");
                    if (words.contains("apt-get") && install > 0) {
                        words.subList(install + 1, words.size()).stream()
                                .filter(w -> !w.startsWith("-") && !w.equals("\\"))
                                .forEach(packages::add);
                    }
                }
            }
            return packages;
        }
    }

    /** A {@code COPY}: where from (a stage, or empty for the build context), the sources and the destination. */
    public record Copy(Optional<String> from, List<String> sources, String destination) {
    }

    private static final Pattern FROM = Pattern.compile("(?i)^(\\S+)(?:\\s+AS\\s+(\\S+))?$");
    private static final Pattern ARG = Pattern.compile("^(\\w+)=(\\S+)$");

    private final Map<String, Stage> stages;
    private final Map<String, String> args;

    private Dockerfile(Map<String, Stage> stages, Map<String, String> args) {
        this.stages = stages;
        this.args = args;
    }

    /** The repository's root: the nearest directory up from the working directory that holds mvnw. */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no mvnw above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    public static Dockerfile read(String name) {
        try {
            return parse(Files.readString(repositoryRoot().resolve(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Dockerfile parse(String text) {
        List<String> logical = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.trim();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            logical.add(current.toString().trim());
            current.setLength(0);
        }
        Map<String, Stage> stages = new LinkedHashMap<>();
        Map<String, String> args = new LinkedHashMap<>();
        Stage stage = null;
        for (String line : logical) {
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            String keyword = parts[0].toUpperCase();
            String rest = parts.length > 1 ? parts[1].trim() : "";
            if (keyword.equals("FROM")) {
                Matcher m = FROM.matcher(rest);
                if (!m.matches()) {
                    throw new IllegalArgumentException("unreadable FROM: " + line);
                }
                String name = m.group(2) == null ? "stage-" + stages.size() : m.group(2);
                stage = new Stage(name, m.group(1), new ArrayList<>());
                stages.put(name, stage);
            } else if (keyword.equals("ARG") && stage == null) {
                Matcher m = ARG.matcher(rest);
                if (m.matches()) {
                    args.put(m.group(1), m.group(2));
                }
            } else if (stage != null) {
                stage.instructions().add(new Instruction(keyword, rest));
            }
        }
        return new Dockerfile(stages, args);
    }

    public Map<String, Stage> stages() {
        return stages;
    }

    public Stage stage(String name) {
        Stage stage = stages.get(name);
        if (stage == null) {
            throw new IllegalArgumentException("no stage " + name + " in " + stages.keySet());
        }
        return stage;
    }

    /** A stage's base with a global ARG default put in for {@code ${NAME}}. */
    public String resolvedBase(Stage stage) {
        String base = stage.base();
        for (Map.Entry<String, String> arg : args.entrySet()) {
            base = base.replace("${" + arg.getKey() + "}", arg.getValue());
        }
        return base;
    }

    /** The stages a stage is built on, itself first, down to an image that is not a stage of this file. */
    public List<Stage> lineage(String name) {
        List<Stage> lineage = new ArrayList<>();
        Stage stage = stage(name);
        while (stage != null) {
            lineage.add(stage);
            stage = stages.get(stage.base());
        }
        return lineage;
    }

    /**
     * The paths that the final stage {@code module} copies from its build stage and that this working tree's build
     * has not produced; the builder's /build/ is the repository root. Call after {@code package}. A native
     * executable exists only after a native build: when {@code nativeBuild} is false it is left out, and after a
     * sources-only build (no native-image) the name Quarkus gives it is compared instead.
     */
    public List<String> missingBuildOutputs(String module, boolean nativeBuild) {
        Path root = repositoryRoot();
        List<String> missing = new ArrayList<>();
        for (Copy copy : copies(stage(module))) {
            if (copy.from().isEmpty()) {
                continue;
            }
            for (String source : copy.sources()) {
                if (!source.startsWith("/build/")) {
                    missing.add(source + " (not under the builder's /build/)");
                    continue;
                }
                Path path = root.resolve(source.substring("/build/".length()));
                if (source.endsWith("-runner")) {
                    Path args = path.resolveSibling("native-sources").resolve("native-image.args");
                    if (!nativeBuild) {
                        continue;
                    }
                    if (!Files.exists(path) && Files.exists(args)) {
                        String text;
                        try {
                            text = Files.readString(args);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        if (!List.of(text.trim().split("\\s+")).contains(path.getFileName().toString())) {
                            missing.add(source + " (native-image.args names another executable)");
                        }
                        continue;
                    }
                }
                if (!Files.exists(path)) {
                    missing.add(source);
                }
            }
        }
        return missing;
    }

    public static List<Copy> copies(Stage stage) {
        List<Copy> copies = new ArrayList<>();
        for (String arguments : stage.arguments("COPY")) {
            List<String> words = new ArrayList<>(Arrays.asList(arguments.split("\\s+")));
            Optional<String> from = Optional.empty();
            while (!words.isEmpty() && words.get(0).startsWith("--")) {
                String option = words.remove(0);
                if (option.startsWith("--from=")) {
                    from = Optional.of(option.substring("--from=".length()));
                }
            }
            String destination = words.remove(words.size() - 1);
            copies.add(new Copy(from, List.copyOf(words), destination));
        }
        return copies;
    }
}
