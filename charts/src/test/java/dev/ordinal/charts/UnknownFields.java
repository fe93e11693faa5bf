package dev.ordinal.charts;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;

/**
 * Fields of a manifest that its Kubernetes schema does not know. fabric8's model classes keep any field they do not
 * know in additionalProperties instead of failing: a misspelt field (mountPropogation, readinesProbe) renders,
 * applies, and is silently dropped by the API server. This walks every model object reachable from a manifest and
 * reports each such field with its path.
 */
final class UnknownFields {

    private UnknownFields() {
    }

    static List<String> of(Object root) {
        List<String> found = new ArrayList<>();
        walk(root, "", found, Collections.newSetFromMap(new IdentityHashMap<>()));
        return found;
    }

    private static void walk(Object value, String path, List<String> found, Set<Object> seen) {
        if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean
                || value instanceof Enum<?> || !seen.add(value)) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                walk(e.getValue(), path + "[" + e.getKey() + "]", found, seen);
            }
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class || !getter.getName().startsWith("get")) {
                continue;
            }
            Object property = invoke(getter, value);
            // A Map named additionalProperties holds what the model did not know. (JSONSchemaProps has a schema
            // field of that name, which is not a Map and is walked like any other property.)
            if (getter.getName().equals("getAdditionalProperties") && property instanceof Map<?, ?> extra) {
                for (Object key : extra.keySet()) {
                    found.add(path + "." + key);
                }
                continue;
            }
            String name = getter.getName().substring(3);
            walk(property, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1), found, seen);
        }
    }

    private static Object invoke(Method getter, Object target) {
        try {
            return getter.invoke(target);
        } catch (IllegalAccessException | InvocationTargetException e) {
            return null;
        }
    }
}
