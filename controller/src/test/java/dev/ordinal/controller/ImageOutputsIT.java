package dev.ordinal.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.testkit.Dockerfile;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * After {@code package}: the controller image's stages copy paths this build really produced (the fast-jar's parts for
 * Dockerfile.jvm; the executable for Dockerfile.native after a native build). No container engine runs here, so
 * this is how a renamed output or a moved directory is caught before an image build would fail on it.
 */
class ImageOutputsIT {

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.native"})
    void theControllerStageCopiesWhatTheBuildProduced(String file) {
        boolean nativeBuild = Boolean.getBoolean("ordinal.native-build");
        assertEquals(List.of(), Dockerfile.read(file).missingBuildOutputs("controller", nativeBuild),
                file + ": copied from the build but not produced by it");
    }
}
