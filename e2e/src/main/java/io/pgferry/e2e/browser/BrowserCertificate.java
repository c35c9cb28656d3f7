package io.pgferry.e2e.browser;

import io.pgferry.common.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * What an operator does to open the status page in Chromium on Linux with the certificate `pgferry certs init
 * --operator NAME` issued: the certificate and its key in the NSS database of the browser's home
 * ({@code ~/.pki/nssdb}, as {@code pk12util} imports a PKCS#12 file), pgferry's CA trusted for servers, and the
 * managed policy {@code AutoSelectCertificateForUrls} for the controller's address (without it Chromium asks which
 * certificate to send; headless it sends none). The policy file is Chromium's only per-machine place; it is named
 * per instance and removed on close.
 */
public final class BrowserCertificate implements AutoCloseable {
  private static final Path POLICIES = Path.of("/etc/chromium/policies/managed");

  private final Path home;
  private final Path policy;

  private BrowserCertificate(Path home, Path policy) {
    this.home = home;
    this.policy = policy;
  }

  /** The browser's home (pass it to {@link HeadlessChromium#open}) with {@code cert}/{@code key} for {@code origin}. */
  public static BrowserCertificate install(Path home, Path cert, Path key, Path ca, String origin) throws IOException {
    Path nssdb = home.resolve(".pki/nssdb");
    Files.createDirectories(nssdb);
    Path p12 = home.resolve("operator.p12");
    run(List.of("openssl", "pkcs12", "-export", "-in", cert.toString(), "-inkey", key.toString(), "-out", p12.toString(),
        "-passout", "pass:"));
    String db = "sql:" + nssdb;
    run(List.of("certutil", "-N", "-d", db, "--empty-password"));
    run(List.of("pk12util", "-i", p12.toString(), "-d", db, "-W", ""));
    run(List.of("certutil", "-A", "-d", db, "-n", "pgferry-ca", "-t", "C,,", "-i", ca.toString()));
    Files.delete(p12);
    Files.createDirectories(POLICIES);
    Path policy = POLICIES.resolve("pgferry-test-" + UUID.randomUUID() + ".json");
    String pattern = "{\\\"pattern\\\":\\\"" + origin + "\\\",\\\"filter\\\":{}}";
    Files.writeString(policy, "{\"AutoSelectCertificateForUrls\": [\"" + pattern + "\"]}\n", StandardCharsets.UTF_8);
    return new BrowserCertificate(home, policy);
  }

  public Path home() {
    return home;
  }

  private static void run(List<String> argv) throws IOException {
    Command.Result r = Command.of(argv).run();
    if (!r.ok()) {
      throw new IOException(String.join(" ", argv.subList(0, 2)) + " failed (is libnss3-tools installed? scripts/install-deps):"
          + " " + r.stderr().strip());
    }
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(policy);
  }
}
