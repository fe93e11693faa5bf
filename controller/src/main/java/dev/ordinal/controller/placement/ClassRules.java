package dev.ordinal.controller.placement;

import dev.ordinal.allocator.model.FitPolicy;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.SpreadRule;
import dev.ordinal.contract.ClassParameters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a StorageClass says about placement, read as the driver reads it (driver {@code VolumeParameters}):
 * {@code layout} (default image), {@code fitPolicy} (default spread), {@code spread} (default node/soft; a scope
 * without strictness is hard), and its {@code allowedTopologies} as requisite segments.
 */
public record ClassRules(Layout layout, FitPolicy fit, SpreadRule spread, List<Map<String, String>> requisite) {

    public static final String LAYOUT = ClassParameters.LAYOUT;
    public static final String FIT = ClassParameters.FIT;
    public static final String SPREAD = ClassParameters.SPREAD;
    /** A class naming an NFS server makes NFS volumes: they live on the export, not on a node's disk. */
    public static final String NFS_SERVER = ClassParameters.NFS_SERVER;

    public ClassRules {
        requisite = List.copyOf(requisite);
    }

    /** Whether volumes of a class with these parameters are placed on nodes' disks at all. */
    public static boolean onDisks(Map<String, String> parameters) {
        return !parameters.containsKey(NFS_SERVER);
    }

    /**
     * @param allowedTopologies the class's terms: each a map of label key to the values allowed (a term matches when
     *                          every key has one of its values; any term may match)
     * @throws IllegalArgumentException naming the parameter that cannot be read
     */
    public static ClassRules parse(Map<String, String> parameters, List<Map<String, List<String>>> allowedTopologies) {
        Layout layout = parameters.containsKey(LAYOUT) ? Layout.parse(parameters.get(LAYOUT)) : Layout.IMAGE;
        FitPolicy fit = parameters.containsKey(FIT) ? FitPolicy.parse(parameters.get(FIT)) : FitPolicy.SPREAD;
        SpreadRule spread = parameters.containsKey(SPREAD) ? SpreadRule.parse(parameters.get(SPREAD)) : SpreadRule.SOFT_NODE;
        List<Map<String, String>> segments = new ArrayList<>();
        for (Map<String, List<String>> term : allowedTopologies) {
            segments.addAll(segments(term));
        }
        return new ClassRules(layout, fit, spread, segments);
    }

    /** A term's segments: one per combination of its keys' values, as external-provisioner expands them. */
    private static List<Map<String, String>> segments(Map<String, List<String>> term) {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<String>> expression : term.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : out) {
                for (String value : expression.getValue()) {
                    Map<String, String> segment = new LinkedHashMap<>(partial);
                    segment.put(expression.getKey(), value);
                    next.add(segment);
                }
            }
            out = next;
        }
        return out.stream().filter(s -> !s.isEmpty()).map(Map::copyOf).toList();
    }
}
