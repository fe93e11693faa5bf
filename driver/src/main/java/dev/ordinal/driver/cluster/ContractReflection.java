package dev.ordinal.driver.cluster;

import dev.ordinal.contract.crd.OrdinalNode;
import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.contract.crd.OrdinalVolume;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The custom resources of the contract module, which Jackson (through fabric8) reads and writes by reflection:
 * registered here for the native executable, since that plain module cannot carry Quarkus' annotation, and
 * explicitly rather than left to the Kubernetes client extension's scan (NativeConfigurationTest checks the list).
 */
@RegisterForReflection(targets = {
    OrdinalVolume.class, OrdinalVolume.Spec.class, OrdinalVolume.Identity.class, OrdinalVolume.Status.class,
    OrdinalSnapshot.class, OrdinalSnapshot.Spec.class, OrdinalSnapshot.Status.class,
    OrdinalNode.class, OrdinalNode.Spec.class, OrdinalNode.Status.class, OrdinalNode.DiskStatus.class,
})
final class ContractReflection {

    private ContractReflection() {
    }
}
