package dev.ordinal.driver.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What reaches mount(8), built in one place, and how a command line is shown in logs and errors. */
class CommandLinesTest {

    @Test
    void bindMountArgumentsEndOptionParsingBeforeThePaths() {
        assertEquals(List.of("mount", "--bind", "-o", "noatime,ro", "--", "/src", "/dst"),
                Mounter.bindArgs(Path.of("/src"), Path.of("/dst"), true, List.of("noatime")));
        // ro comes last, where mount(8) lets it win over a flag "rw".
        assertEquals(List.of("mount", "--bind", "-o", "rw,ro", "--", "/src", "/dst"),
                Mounter.bindArgs(Path.of("/src"), Path.of("/dst"), true, List.of("rw")));
        assertEquals(List.of("mount", "--bind", "--", "/src", "/-dst"),
                Mounter.bindArgs(Path.of("/src"), Path.of("/-dst"), false, List.of()));
    }

    @Test
    void filesystemMountArgumentsNameTheType() {
        assertEquals(List.of("mount", "-t", "xfs", "-o", "nouuid", "--", "/dev/loop3", "/staging"),
                Mounter.mountArgs(Path.of("/dev/loop3"), Path.of("/staging"), "xfs", false, List.of("nouuid")));
    }

    @Test
    void printedCommandLinesHideMountOptions() {
        String printed = Command.printable(List.of("mount", "-o", "password=hunter2", "--", "/a", "/b"));
        assertEquals("mount -o <options> -- /a /b", printed);
        assertFalse(printed.contains("hunter2"));
    }

    @Test
    void aFailingCommandSaysWhatRanAndWhatItPrinted() {
        Command.Result result = Command.run("ls", "--", "/no/such/ordinal/path");
        assertEquals(2, result.exitCode());
        assertEquals(true, result.describe().startsWith("ls -- /no/such/ordinal/path exited 2: "));
    }
}
