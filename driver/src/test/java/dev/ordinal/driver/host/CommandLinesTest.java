package dev.ordinal.driver.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What reaches mount(8), built in one place, and how a command line is shown in logs and errors. */
class CommandLinesTest {

    @Test
    void bindMountArgumentsNameTheRootTheNamesBelowItAndTheOptions() {
        RootedPath source = RootedPath.own(Path.of("/src"));
        RootedPath target = new RootedPath(Path.of("/"), Path.of("/dst"));
        assertEquals(List.of("bind", "/", "dst", "/dst", "noatime,ro", "/", "src"),
                afterScript(Mounter.bindArgs(source, target, true, List.of("noatime"))));
        // ro comes last, where mount(8) lets it win over a flag "rw".
        assertEquals(List.of("bind", "/", "dst", "/dst", "rw,ro", "/", "src"),
                afterScript(Mounter.bindArgs(source, target, true, List.of("rw"))));
        assertEquals(List.of("bind", "/", "-dst", "/-dst", "", "/", "src"),
                afterScript(Mounter.bindArgs(source, new RootedPath(Path.of("/"), Path.of("/-dst")), false,
                        List.of())));
    }

    @Test
    void filesystemMountArgumentsNameTheType() {
        assertEquals(List.of("mount", "/", "staging", "/staging", "nouuid", "xfs", "/dev/loop3"),
                afterScript(Mounter.mountArgs(Path.of("/dev/loop3"), new RootedPath(Path.of("/"),
                        Path.of("/staging")), "xfs", false, List.of("nouuid"))));
    }

    /** The arguments after the helper script and the "--" that ends perl's own options (minus the syscall number). */
    private static List<String> afterScript(List<String> argv) {
        assertEquals("perl", argv.get(0));
        assertEquals("--", argv.get(3));
        List<String> rest = new java.util.ArrayList<>(argv.subList(4, argv.size()));
        rest.remove(1);
        return rest;
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
