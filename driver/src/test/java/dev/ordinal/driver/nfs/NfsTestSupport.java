package dev.ordinal.driver.nfs;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Requests and checks shared by the NFS tests. */
final class NfsTestSupport {

    static final String SERVER = "nas.example.com";
    static final String SHARE = "/srv/k8s";

    private NfsTestSupport() {
    }

    static VolumeCapability multiWriter() {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER))
                .build();
    }

    /** A CreateVolume as external-provisioner sends it with --extra-create-metadata. */
    static CreateVolumeRequest.Builder create(String name, long bytes, String namespace, String claim, String pv,
            Map<String, String> parameters) {
        Map<String, String> all = new HashMap<>(Map.of("server", SERVER, "share", SHARE));
        all.putAll(parameters);
        if (namespace != null) {
            all.put("csi.storage.k8s.io/pvc/namespace", namespace);
            all.put("csi.storage.k8s.io/pvc/name", claim);
            all.put("csi.storage.k8s.io/pv/name", pv);
        }
        return CreateVolumeRequest.newBuilder().setName(name)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                .addVolumeCapabilities(multiWriter())
                .putAllParameters(all);
    }

    static NfsSettings settings(Path export, Path state, NfsSettings.NodeMount mode, UsageCache.Limits limits,
            java.util.concurrent.Executor walker) {
        return new NfsSettings(List.of(NfsExport.parse(SERVER + ":" + SHARE + "=" + export)), mode, state, limits,
                walker);
    }

    /** SHA-256 of every regular file under {@code dir}, by relative path. */
    static Map<String, String> checksums(Path dir) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                sums.put(dir.relativize(file).toString(), sha256(file));
            }
        }
        return sums;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
