package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every change the node plugin makes at a path named by a request (mkdir, create, remove, mount, unmount) goes
 * through here, resolved the way openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) would: the trusted root is
 * opened, then each name inside the directory held open before it, never following a symbolic link, so a link
 * swapped into the path at any moment (renameat2 RENAME_EXCHANGE in a loop) is refused, not followed. Mounts are
 * made onto {@code /proc/self/fd/N} of the directory that walk opened (mount(8) with {@code -c}, so it does not
 * re-resolve the path), and checked afterwards: the new mount must be at the expected path, or it is undone.
 *
 * <p>Why a helper process: Java 21 has no openat(2), O_PATH or umount2(2) without preview APIs or JNI. Perl is part
 * of every Debian and Ubuntu base system (perl-base is an essential package), so the small fixed script below
 * runs with the paths as plain arguments; nothing is interpolated into it, and there is no shell.
 */
public final class Beneath {

    /** What is at a path, seen without following a link (after a mount, the mount's root). */
    public record Found(String kind, long device, long inode, long size, boolean empty) {
        public boolean absent() {
            return kind.equals("absent");
        }

        public String describe() {
            return switch (kind) {
                case "dir" -> empty ? "an empty directory" : "a directory holding files";
                case "file" -> "a regular file of " + size + " bytes";
                case "link" -> "a symbolic link";
                case "block" -> "a block device node";
                default -> "a " + kind;
            };
        }
    }

    /** What a create left: whether this call made it, and its identity (device and inode numbers). */
    public record Made(boolean created, String kind, long device, long inode) {
    }

    /** How a removal ended. */
    public enum Removal { REMOVED, ABSENT, FOREIGN, NOT_EMPTY }

    // umount2(2) has no command that takes a path relative to a held directory; its number differs by architecture.
    private static final String UMOUNT2 = switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
        case "aarch64", "arm64" -> "39";
        default -> "166";
    };

    // Exit codes: 0 done (result on stdout), 2 bad call, 3 a link or non-directory on the way, 4 a failure,
    // 5 another mount than the one named, 6 the mount did not land where expected (undone), 7 busy.
    private static final String SCRIPT = """
            use strict; use warnings;
            use Fcntl qw(O_RDONLY O_WRONLY O_CREAT O_EXCL O_DIRECTORY O_NOFOLLOW);
            $^F = 1048576;
            my $O_PATH = 010000000;
            my $NL = chr(10);
            my ($op, $umount2, @args) = @ARGV;
            sub fail { print STDERR $_[1], $NL; exit $_[0]; }
            sub at { return '/proc/self/fd/' . fileno($_[0]) . (defined $_[1] ? '/' . $_[1] : ''); }
            # What is at a path, the last name not followed; for '/proc/self/fd/N' (a magic link), what N holds.
            sub kind {
                my @s = $_[0] =~ m{^/proc/self/fd/[0-9]+$} ? stat($_[0]) : lstat($_[0]);
                return ('absent', 0, 0, 0) unless @s;
                my $m = $s[2] & 0170000;
                my $k = $m == 0040000 ? 'dir' : $m == 0100000 ? 'file' : $m == 0120000 ? 'link'
                    : $m == 0060000 ? 'block' : 'other';
                return ($k, $s[0], $s[1], $s[7]);
            }
            sub mntid {
                open(my $fi, '<', '/proc/self/fdinfo/' . fileno($_[0])) or return -1;
                while (my $line = <$fi>) { return $1 if $line =~ /^mnt_id:[[:space:]]*([0-9]+)/; }
                return -1;
            }
            # The directory holding the last name, walked from the root through no link; () if a part is missing.
            sub walk {
                my ($root, $rel, $create) = @_;
                my @names = split m{/}, $rel, -1;
                fail(2, "no path below $root") unless @names;
                for (@names) { fail(2, "'$rel' has a part that is not a plain name") if $_ eq '' || $_ eq '.' || $_ eq '..'; }
                sysopen(my $dir, $root, O_RDONLY | O_DIRECTORY) or fail(4, "cannot open $root: $!");
                my $last = pop @names;
                my $where = $root;
                for my $name (@names) {
                    $where .= '/' . $name;
                    if ($create && !mkdir(at($dir, $name), 0755) && !$!{EEXIST}) { fail(4, "cannot create $where: $!"); }
                    my $next;
                    unless (sysopen($next, at($dir, $name), $O_PATH | O_DIRECTORY | O_NOFOLLOW)) {
                        return () if $!{ENOENT};
                        fail(3, "$where is a symbolic link or not a directory") if $!{ENOTDIR} || $!{ELOOP};
                        fail(4, "cannot open $where: $!");
                    }
                    $dir = $next;
                }
                return ($dir, $last);
            }
            sub open_last {
                my ($dir, $name, $what) = @_;
                my $fh;
                sysopen($fh, at($dir, $name), $O_PATH | O_NOFOLLOW) or fail(3, "$what: $!");
                my ($k) = kind(at($fh));
                fail(3, "$what is a symbolic link") if $k eq 'link';
                return $fh;
            }
            # After a mount onto $t (held open): the name must now show a new mount, at the expected path.
            sub landed {
                my ($dir, $name, $t, $before, $expected) = @_;
                my $m;
                my $ok = sysopen($m, at($dir, $name), $O_PATH | O_NOFOLLOW);
                my $now = $ok ? mntid($m) : -1;
                my $path = $ok ? readlink(at($m)) : '';
                return $m if $ok && $now != $before && defined $path && $path eq $expected;
                my $actual = readlink(at($t)) // '?';
                close($m) if $ok;
                # The new mount is reached through the held parent when the name still shows it (the parent was
                # moved): no path is resolved again. Otherwise by the path the kernel reports, the last part unfollowed.
                syscall($umount2, ($ok && $now != $before) ? at($dir, $name) : $actual, 8);
                fail(6, "the mount landed at $actual, not at $expected (a part of the path moved); it was undone");
            }
            if ($op eq 'stat') {
                my ($dir, $name) = walk($args[0], $args[1], 0);
                unless ($dir) { print 'absent 0 0 0 0', $NL; exit 0; }
                my ($k, $dev, $ino, $size) = kind(at($dir, $name));
                my $empty = 0;
                if ($k eq 'dir' && opendir(my $dh, at($dir, $name))) {
                    $empty = (grep { $_ ne '.' && $_ ne '..' } readdir($dh)) ? 0 : 1;
                }
                print "$k $dev $ino $size $empty", $NL;
            } elsif ($op eq 'mkdir' || $op eq 'mkfile') {
                my ($dir, $name) = walk($args[0], $args[1], 1);
                my $created;
                if ($op eq 'mkdir') {
                    $created = mkdir(at($dir, $name), 0750) ? 1 : 0;
                    fail(4, "cannot create $args[0]/$args[1]: $!") unless $created || $!{EEXIST};
                } else {
                    $created = sysopen(my $f, at($dir, $name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0640) ? 1 : 0;
                    fail(4, "cannot create $args[0]/$args[1]: $!") unless $created || $!{EEXIST};
                }
                my ($k, $dev, $ino) = kind(at($dir, $name));
                print "$created $k $dev $ino", $NL;
            } elsif ($op eq 'remove') {
                my ($root, $rel, $want, $wdev, $wino) = @args;
                my ($dir, $name) = walk($root, $rel, 0);
                unless ($dir) { print 'absent', $NL; exit 0; }
                my ($k, $dev, $ino, $size) = kind(at($dir, $name));
                if ($k eq 'absent') { print 'absent', $NL; exit 0; }
                if ($k ne $want || ($wdev ne '-' && ($dev != $wdev || $ino != $wino))) { print "foreign $k", $NL; exit 0; }
                if ($k eq 'dir') {
                    if (rmdir(at($dir, $name))) { print 'removed', $NL; exit 0; }
                    if ($!{ENOTEMPTY} || $!{EEXIST}) { print 'notempty', $NL; exit 0; }
                    fail(4, "cannot remove $root/$rel: $!");
                }
                if ($size > 0) { print 'notempty', $NL; exit 0; }
                unlink(at($dir, $name)) or fail(4, "cannot remove $root/$rel: $!");
                print 'removed', $NL;
            } elsif ($op eq 'bind' || $op eq 'mount') {
                my ($root, $rel, $expected, $options, @source) = @args;
                my ($dir, $name) = walk($root, $rel, 0);
                fail(3, "$root/$rel does not exist") unless $dir;
                my $t = open_last($dir, $name, "$root/$rel");
                my $before = mntid($t);
                my @argv;
                if ($op eq 'bind') {
                    my ($sdir, $sname) = walk($source[0], $source[1], 0);
                    fail(3, "$source[0]/$source[1] does not exist") unless $sdir;
                    my $s = open_last($sdir, $sname, "$source[0]/$source[1]");
                    system('mount', '-c', '--bind', '--', at($s), at($t)) == 0 or fail(4, "bind mount failed");
                    my $m = landed($dir, $name, $t, $before, $expected);
                    if ($options ne '') {
                        if (system('mount', '-c', '-o', "remount,bind,$options", '--', at($m)) != 0) {
                            close($m);
                            syscall($umount2, at($dir, $name), 8);
                            fail(4, "remount with $options failed; the bind mount was undone");
                        }
                    }
                } else {
                    my ($fstype, $device) = @source;
                    my @o = $options ne '' ? ('-o', $options) : ();
                    system('mount', '-c', '-t', $fstype, @o, '--', $device, at($t)) == 0 or fail(4, "mount failed");
                    landed($dir, $name, $t, $before, $expected);
                }
                print 'mounted', $NL;
            } elsif ($op eq 'umount') {
                my ($root, $rel, $want) = @args;
                my ($dir, $name) = walk($root, $rel, 0);
                unless ($dir) { print 'absent', $NL; exit 0; }
                my $m;
                unless (sysopen($m, at($dir, $name), $O_PATH | O_NOFOLLOW)) { print 'absent', $NL; exit 0; }
                my $id = mntid($m);
                close($m);
                fail(5, "mount $id is at $root/$rel, not mount $want") if $id != $want;
                if (syscall($umount2, at($dir, $name), 8) == 0) { print 'unmounted', $NL; exit 0; }
                fail(7, "busy") if $!{EBUSY};
                fail(4, "umount of $root/$rel failed: $!");
            } else {
                fail(2, "unknown operation $op");
            }
            """;

    private Beneath() {
    }

    public static Found stat(RootedPath path) {
        String[] f = run("stat", path, List.of()).split(" ");
        return new Found(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), f[4].equals("1"));
    }

    /** Creates the directory (and missing parents) unless it exists; a link anywhere on the way is refused. */
    public static Made makeDirectory(RootedPath path) {
        return made(run("mkdir", path, List.of()));
    }

    /** Creates an empty regular file (and missing parent directories) unless something is there already. */
    public static Made makeFile(RootedPath path) {
        return made(run("mkfile", path, List.of()));
    }

    /**
     * Removes what is at {@code path} only if it is a {@code kind} ("dir" or "file") with the given identity
     * ({@code device} -1: any), and empty.
     */
    public static Removal remove(RootedPath path, String kind, long device, long inode) {
        String out = run("remove", path, List.of(kind, device < 0 ? "-" : Long.toString(device),
                device < 0 ? "-" : Long.toString(inode)));
        return switch (out.split(" ")[0]) {
            case "removed" -> Removal.REMOVED;
            case "absent" -> Removal.ABSENT;
            case "notempty" -> Removal.NOT_EMPTY;
            default -> Removal.FOREIGN;
        };
    }

    static List<String> bindArgs(RootedPath source, RootedPath target, String options) {
        return argv("bind", target, List.of(expected(target), options, source.root().toString(), source.below()));
    }

    static List<String> mountArgs(String device, RootedPath target, String fsType, String options) {
        return argv("mount", target, List.of(expected(target), options, fsType, device));
    }

    static List<String> umountArgs(RootedPath target, String mountId) {
        return argv("umount", target, List.of(mountId));
    }

    /** Runs a prepared mount or bind ({@link #bindArgs}, {@link #mountArgs}); a failure is thrown. */
    static void call(String what, List<String> argv) {
        Command.Result result = Command.run(java.time.Duration.ofMinutes(2), argv);
        if (!result.ok()) {
            throw failure(what, result);
        }
    }

    /**
     * Unmounts mount {@code mountId} at {@code target}; another mount there is refused (FAILED_PRECONDITION), no
     * mount there is success.
     */
    static void unmount(RootedPath target, String mountId) {
        // A path lookup in flight (another RPC checking the same path, kubelet's stat) pins the mount for a moment
        // and umount(2) answers EBUSY (found by RaceTest: publish and unpublish racing on one target answered
        // INTERNAL). A few short retries ride that out; a mount still busy after them is in real use.
        for (long pause = 5; ; pause *= 2) {
            Command.Result result = Command.run(java.time.Duration.ofMinutes(2), umountArgs(target, mountId));
            if (result.ok()) {
                return;
            }
            if (result.exitCode() != 7 || pause > 160) {
                throw result.exitCode() == 7 ? new DriverError.FailedPrecondition("unmount of " + target
                        + " refused: the mount is busy (in use)") : failure("unmount of " + target, result);
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DriverError.Internal("interrupted while unmounting " + target, e);
            }
        }
    }

    /** The error a failed call stands for: a link or moved path is the caller's mistake, the rest is ours. */
    static DriverError failure(String what, Command.Result result) {
        String err = result.stderr().strip();
        return switch (result.exitCode()) {
            case 2, 3 -> new DriverError.InvalidArgument(what + " refused: " + err
                    + "; the node plugin never follows links below its roots");
            case 5, 6 -> new DriverError.FailedPrecondition(what + " refused: " + err);
            default -> new DriverError.Internal(what + " failed: " + err);
        };
    }

    private static String run(String op, RootedPath path, List<String> extra) {
        Command.Result result = Command.run(java.time.Duration.ofMinutes(2), argv(op, path, extra));
        if (!result.ok()) {
            throw failure(op + " of " + path, result);
        }
        return result.stdout().strip();
    }

    private static List<String> argv(String op, RootedPath path, List<String> extra) {
        List<String> argv = new ArrayList<>(List.of("perl", "-e", SCRIPT, "--", op, UMOUNT2, path.root().toString(),
                path.below()));
        argv.addAll(extra);
        return argv;
    }

    /** Where a mount on {@code target} must show up: the root's real path plus the same names. */
    private static String expected(RootedPath target) {
        try {
            return target.root().toRealPath().resolve(target.below()).toString();
        } catch (java.io.IOException e) {
            throw new DriverError.Internal("cannot resolve root " + target.root() + ": " + e.getMessage(), e);
        }
    }

    private static Made made(String out) {
        String[] f = out.split(" ");
        return new Made(f[0].equals("1"), f[1], Long.parseLong(f[2]), Long.parseLong(f[3]));
    }
}
