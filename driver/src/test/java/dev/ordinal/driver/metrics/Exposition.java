package dev.ordinal.driver.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape in the Prometheus text format, read back into samples so tests can ask for values by labels. */
record Exposition(String text, List<Sample> samples) {

    record Sample(String name, Map<String, String> labels, double value) {
        boolean has(Map<String, String> wanted) {
            return wanted.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
        }
    }

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    static Exposition parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
        }
        return new Exposition(text, List.copyOf(samples));
    }

    /** The samples of {@code name} whose labels include {@code wanted}. */
    List<Sample> find(String name, Map<String, String> wanted) {
        return samples.stream().filter(s -> s.name().equals(name) && s.has(wanted)).toList();
    }

    /** The value of the one sample of {@code name} with these labels; fails when there is none or several. */
    double value(String name, Map<String, String> wanted) {
        List<Sample> found = find(name, wanted);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples of " + name + " with " + wanted + " in:\n" + text);
        }
        return found.get(0).value();
    }
}
