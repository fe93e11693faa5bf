package dev.ordinal.driver.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.contract.failure.FailureCode;
import dev.ordinal.driver.error.DriverError;
import io.grpc.Status;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A failure a node agent stores as a code reaches the CSI caller with the gRPC status of the same name: the stored
 * code, the DriverError it is raised as again, and the status CsiStatus answers with agree for every kind.
 */
class FailureCodeTest {

    @ParameterizedTest
    @EnumSource(FailureCode.class)
    void aStoredCodeIsAnsweredWithTheGrpcStatusOfItsName(FailureCode code) {
        DriverError raised = DriverError.of(FailureCode.parse(code.name()), "volume v on node n: it failed");
        assertEquals(code, raised.code());
        Status status = CsiStatus.of(raised).getStatus();
        assertEquals(Status.Code.valueOf(code.name()), status.getCode());
        assertEquals("volume v on node n: it failed", status.getDescription());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "UNKNOWN", "OK", "resource_exhausted"})
    void aCodeThisVersionDoesNotKnowIsInternalNeverSuccess(String stored) {
        DriverError raised = DriverError.of(FailureCode.parse(stored), "x");
        assertEquals(Status.Code.INTERNAL, CsiStatus.of(raised).getStatus().getCode());
        assertEquals(FailureCode.INTERNAL, FailureCode.parse(null));
    }
}
