package dev.ordinal.driver;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The driver's entry point. The flags that CSI deployments conventionally pass ({@code --endpoint},
 * {@code --nodeid}...) become configuration properties before Quarkus starts, so a flag, a system property and
 * an environment variable all mean the same thing.
 */
@QuarkusMain
public final class OrdinalDriverMain {

    private static final Map<String, String> FLAGS = Map.of(
            "--endpoint", "ordinal.endpoint",
            "--mode", "ordinal.mode",
            "--node-id", "ordinal.node-id",
            "--nodeid", "ordinal.node-id",
            "--disks", "ordinal.disks",
            "--publish-roots", "ordinal.publish-roots",
            "--max-volumes-per-node", "ordinal.max-volumes-per-node",
            "--nfs-exports", "ordinal.nfs.exports",
            "--state-dir", "ordinal.state-dir",
            "--management-port", "quarkus.management.port");

    private OrdinalDriverMain() {
    }

    public static void main(String... args) {
        List<String> disks = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println(usage());
                return;
            }
            String flag = arg;
            String value;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                flag = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                System.err.println("flag " + arg + " needs a value\n" + usage());
                System.exit(2);
                return;
            }
            if (flag.equals("--disk")) {
                disks.add(value);
                continue;
            }
            String property = FLAGS.get(flag);
            if (property == null) {
                System.err.println("unknown flag " + flag + "\n" + usage());
                System.exit(2);
                return;
            }
            System.setProperty(property, value);
        }
        if (!disks.isEmpty()) {
            System.setProperty("ordinal.disks", String.join(",", disks));
        }
        Quarkus.run();
    }

    private static String usage() {
        return """
                Ordinal CSI driver (ordinal.csi.dev)
                  --endpoint unix:///csi/csi.sock    CSI socket (or CSI_ENDPOINT); default unix:///tmp/ordinal/csi.sock
                  --mode all|controller|node         services to serve; default all
                  --node-id NAME                     this node's name (or NODE_NAME); default the host name
                  --disk NAME=DIR                    a disk of this node; repeatable; default default=/tmp/ordinal/disks/default
                  --publish-roots DIR[,DIR]          where staging and target paths may be; default /var/lib/kubelet,/tmp
                  --max-volumes-per-node N           NodeGetInfo limit; default 0 (none)
                  --nfs-exports S:/SHARE=DIR[,...]   NFS exports and where this process sees them; default none
                  --state-dir DIR                    node state; default /var/lib/ordinal (node), /tmp/ordinal/state
                  --management-port PORT             health and metrics (HTTP); default 9810
                Any setting can also be given as a system property (-Dordinal.disks=...) or environment variable.""";
    }
}
