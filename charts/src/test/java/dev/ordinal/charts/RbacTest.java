package dev.ordinal.charts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart's RBAC against docs/SECURITY.md's table "RBAC per component": no verb, resource or scope beyond the
 * documented rows, every row granted where its component runs, roles bound only to the pod that runs their
 * component, and no Secrets for anyone.
 */
class RbacTest {

    static final String LABEL = "ordinal.csi.dev/rbac-component";
    /** Which workload runs each component, and so whose service account may hold its roles. */
    static final Map<String, String> POD_OF = Map.of("driver-controller", "controller", "companion", "controller",
            "provisioner", "controller", "resizer", "controller", "snapshotter", "controller",
            "driver-node", "node");

    /** One permission: component, scope (cluster, namespace = the release's, or a namespace's name), verb. */
    record Grant(String component, String scope, String apiGroup, String resource, String verb) {
        @Override
        public String toString() {
            return component + " " + scope + " " + (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resource + " "
                    + verb;
        }
    }

    static Stream<Path> valuesFiles() {
        return Repo.valuesFiles().stream();
    }

    /** docs/SECURITY.md's table, one Grant per verb. */
    static Set<Grant> documented() {
        String doc = Repo.read(Repo.root().resolve("docs/SECURITY.md"));
        int section = doc.indexOf("## RBAC per component");
        assertTrue(section >= 0, "docs/SECURITY.md has no section 'RBAC per component'");
        Set<Grant> grants = new LinkedHashSet<>();
        boolean inTable = false;
        for (String line : doc.substring(section).lines().toList()) {
            if (line.startsWith("| component | scope | apiGroup | resource | verbs |")) {
                inTable = true;
                continue;
            }
            if (!inTable || line.startsWith("|---")) {
                continue;
            }
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            if (cells.length != 5) {
                throw new AssertionError("docs/SECURITY.md RBAC row without 5 cells: " + line);
            }
            String group = cells[2].strip().equals("core") ? "" : cells[2].strip();
            for (String verb : cells[4].split(",")) {
                grants.add(new Grant(cells[0].strip(), cells[1].strip(), group, cells[3].strip(), verb.strip()));
            }
        }
        assertFalse(grants.isEmpty(), "docs/SECURITY.md's RBAC table has no rows");
        return grants;
    }

    /** What the rendered roles grant. */
    static Set<Grant> granted(Rendered rendered) {
        Set<Grant> grants = new LinkedHashSet<>();
        for (ClusterRole role : rendered.all(ClusterRole.class)) {
            add(grants, component(role), "cluster", role.getRules());
        }
        for (Role role : rendered.all(Role.class)) {
            String ns = role.getMetadata().getNamespace();
            add(grants, component(role), Rendered.NAMESPACE.equals(ns) ? "namespace" : ns, role.getRules());
        }
        return grants;
    }

    private static void add(Set<Grant> grants, String component, String scope, List<PolicyRule> rules) {
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        grants.add(new Grant(component, scope, group, resource, verb));
                    }
                }
            }
        }
    }

    private static String component(HasMetadata role) {
        String component = role.getMetadata().getLabels() == null ? null : role.getMetadata().getLabels().get(LABEL);
        if (component == null || !POD_OF.containsKey(component)) {
            throw new AssertionError(role.getKind() + " " + role.getMetadata().getName() + " has no known " + LABEL
                    + " label (" + component + "), so its rules cannot be checked");
        }
        return component;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void noRoleGrantsMoreThanDocumented(Path values) {
        Set<Grant> documented = documented();
        List<Grant> extra = granted(Rendered.of(values)).stream().filter(g -> !documented.contains(g)).toList();
        assertTrue(extra.isEmpty(), () -> values.getFileName() + ": granted but not in docs/SECURITY.md: " + extra);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void nothingGrantsSecretsOrWildcards(Path values) {
        Rendered rendered = Rendered.of(values);
        List<String> problems = new ArrayList<>();
        for (Grant g : granted(rendered)) {
            if (g.resource().equals("secrets") || g.resource().startsWith("secrets/") || g.resource().equals("*")
                    || g.verb().equals("*") || g.apiGroup().equals("*")) {
                problems.add(g.toString());
            }
        }
        assertTrue(problems.isEmpty(), () -> values.getFileName() + ": " + problems);
    }

    /** With everything on, every documented permission is there: a missing one is a component that fails. */
    @Test
    void everyDocumentedPermissionIsGrantedWhenEverythingRuns() {
        Rendered rendered = Rendered.of(Repo.valuesFile("default"));
        Set<Grant> granted = granted(rendered);
        List<Grant> missing = documented().stream().filter(g -> !granted.contains(g)).toList();
        assertTrue(missing.isEmpty(), () -> "documented in docs/SECURITY.md but not granted: " + missing);
    }

    /** A role reaches only the service account of the pod that runs its component, in the release's namespace. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesFiles")
    void rolesAreBoundToThePodThatRunsTheirComponent(Path values) {
        Rendered rendered = Rendered.of(values);
        Map<String, String> accountOf = Map.of(
                "controller", rendered.controller().getSpec().getTemplate().getSpec().getServiceAccountName(),
                "node", rendered.node().getSpec().getTemplate().getSpec().getServiceAccountName());
        List<String> problems = new ArrayList<>();
        Set<String> bound = new HashSet<>();
        for (ClusterRoleBinding b : rendered.all(ClusterRoleBinding.class)) {
            check(rendered, "ClusterRole", b.getRoleRef(), b.getSubjects(), accountOf, problems, bound,
                    "ClusterRoleBinding " + b.getMetadata().getName());
        }
        for (RoleBinding b : rendered.all(RoleBinding.class)) {
            check(rendered, "Role", b.getRoleRef(), b.getSubjects(), accountOf, problems, bound,
                    "RoleBinding " + b.getMetadata().getNamespace() + "/" + b.getMetadata().getName());
        }
        for (ClusterRole role : rendered.all(ClusterRole.class)) {
            if (!bound.contains("ClusterRole/" + role.getMetadata().getName())) {
                problems.add("ClusterRole " + role.getMetadata().getName() + " is bound to nobody");
            }
        }
        assertTrue(problems.isEmpty(), () -> values.getFileName() + ":\n" + String.join("\n", problems));
    }

    private static void check(Rendered rendered, String kind, RoleRef ref, List<Subject> subjects,
            Map<String, String> accountOf, List<String> problems, Set<String> bound, String binding) {
        HasMetadata role = kind.equals("ClusterRole") ? rendered.find(ClusterRole.class, ref.getName()).orElse(null)
                : rendered.find(Role.class, ref.getName()).orElse(null);
        if (role == null || !kind.equals(ref.getKind())) {
            problems.add(binding + " refers to " + ref.getKind() + " " + ref.getName() + ", which the chart does not make");
            return;
        }
        bound.add(kind + "/" + ref.getName());
        String expected = accountOf.get(POD_OF.get(component(role)));
        for (Subject s : subjects) {
            if (!"ServiceAccount".equals(s.getKind()) || !expected.equals(s.getName())
                    || !Rendered.NAMESPACE.equals(s.getNamespace())) {
                problems.add(binding + " gives " + component(role) + "'s rights to " + s.getKind() + " "
                        + s.getNamespace() + "/" + s.getName() + "; only " + expected + " runs it");
            }
        }
    }
}
