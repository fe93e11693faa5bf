package dev.ordinal.charts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Paths in the repository: the chart, its CI values files, deploy/ and docs/. */
final class Repo {

    static final String CHART = "charts/ordinal";

    private Repo() {
    }

    static Path root() {
        String configured = System.getProperty("ordinal.repo");
        if (configured != null && !configured.isBlank() && Files.isDirectory(Path.of(configured, CHART))) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(CHART).resolve("Chart.yaml"))) {
                return p;
            }
        }
        throw new AssertionError("no " + CHART + "/Chart.yaml above " + Path.of("").toAbsolutePath());
    }

    static Path chart() {
        return root().resolve(CHART);
    }

    /** The documented values combinations: charts/ordinal/ci/*-values.yaml, also named in the chart's README. */
    static List<Path> valuesFiles() {
        try (Stream<Path> files = Files.list(chart().resolve("ci"))) {
            List<Path> found = files.filter(f -> f.getFileName().toString().endsWith("-values.yaml")).sorted().toList();
            if (found.isEmpty()) {
                throw new AssertionError("no values files in " + chart().resolve("ci"));
            }
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path valuesFile(String name) {
        return chart().resolve("ci").resolve(name + "-values.yaml");
    }

    static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
