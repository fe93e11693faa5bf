package dev.ordinal.e2e.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

/**
 * The test cluster's keys, made with openssl: a CA, kube-apiserver's serving certificate for 127.0.0.1, an admin
 * client certificate (group system:masters, for the harness and the control plane's components) and the
 * service-account signing key pair, from which `kubectl create token` issues the tokens the Ordinal processes use.
 */
record Pki(Path ca, Path caKey, Path serverCert, Path serverKey, Path adminCert, Path adminKey, Path serviceAccountKey,
        Path serviceAccountPublicKey) {

    static Pki create(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Pki pki = new Pki(dir.resolve("ca.crt"), dir.resolve("ca.key"), dir.resolve("apiserver.crt"),
                dir.resolve("apiserver.key"), dir.resolve("admin.crt"), dir.resolve("admin.key"), dir.resolve("sa.key"),
                dir.resolve("sa.pub"));
        Command.check("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "7", "-subj", "/CN=ordinal-e2e-ca", "-keyout", pki.caKey.toString(),
                "-out", pki.ca.toString());
        pki.sign(dir, "apiserver", "/CN=kube-apiserver",
                "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n"
                        + "extendedKeyUsage=serverAuth\n", pki.serverKey, pki.serverCert);
        pki.sign(dir, "admin", "/O=system:masters/CN=ordinal-e2e-admin", "extendedKeyUsage=clientAuth\n",
                pki.adminKey, pki.adminCert);
        Command.check("openssl", "genrsa", "-out", pki.serviceAccountKey.toString(), "2048");
        Command.check("openssl", "rsa", "-in", pki.serviceAccountKey.toString(), "-pubout",
                "-out", pki.serviceAccountPublicKey.toString());
        return pki;
    }

    private void sign(Path dir, String name, String subject, String extensions, Path key, Path cert) {
        // RSA for the admin client key: fabric8 (the harness's client) reads RSA client keys in every version.
        List<String> keyType = name.equals("admin") ? List.of("-newkey", "rsa:2048")
                : List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1");
        Path request = dir.resolve(name + ".csr");
        Path extensionFile = dir.resolve(name + ".ext");
        try {
            Files.writeString(extensionFile, extensions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> argv = new java.util.ArrayList<>(List.of("openssl", "req"));
        argv.addAll(keyType);
        argv.addAll(List.of("-nodes", "-subj", subject, "-keyout", key.toString(), "-out", request.toString()));
        Command.check(argv, java.util.Map.of(), null);
        Command.check("openssl", "x509", "-req", "-in", request.toString(), "-CA", ca.toString(), "-CAkey",
                caKey.toString(), "-CAcreateserial", "-days", "7", "-extfile", extensionFile.toString(),
                "-out", cert.toString());
    }

    /** A kubeconfig for the admin client certificate. */
    String adminKubeconfig(String server) {
        return kubeconfig(server, "ordinal-e2e-admin", "    client-certificate-data: " + base64(adminCert) + "\n"
                + "    client-key-data: " + base64(adminKey) + "\n");
    }

    /** A kubeconfig for a ServiceAccount token. */
    String tokenKubeconfig(String server, String user, String token) {
        return kubeconfig(server, user, "    token: " + token.strip() + "\n");
    }

    private String kubeconfig(String server, String user, String credentials) {
        return "apiVersion: v1\nkind: Config\nclusters:\n- name: ordinal-e2e\n  cluster:\n"
                + "    server: " + server + "\n    certificate-authority-data: " + base64(ca) + "\n"
                + "users:\n- name: " + user + "\n  user:\n" + credentials
                + "contexts:\n- name: ordinal-e2e\n  context:\n    cluster: ordinal-e2e\n    user: " + user + "\n"
                + "current-context: ordinal-e2e\n";
    }

    private static String base64(Path file) {
        try {
            return Base64.getEncoder().encodeToString(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
