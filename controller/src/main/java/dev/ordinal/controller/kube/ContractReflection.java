package dev.ordinal.controller.kube;

import dev.ordinal.contract.crd.OrdinalNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The contract's custom resource this controller reads (OrdinalNode, through a typed informer), which Jackson maps by
 * reflection: registered here for the native executable, since the plain contract module cannot carry Quarkus'
 * annotation. The driver registers the same way all three of its resources.
 */
@RegisterForReflection(targets = {
    OrdinalNode.class, OrdinalNode.Spec.class, OrdinalNode.Status.class, OrdinalNode.DiskStatus.class,
})
final class ContractReflection {

    private ContractReflection() {
    }
}
