package io.pgferry.controller.cli;

import io.pgferry.common.UsageException;
import io.pgferry.controller.certs.CertificateAuthority;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "init", mixinStandardHelpOptions = true,
    description = {
        "Create a CA and the link's certificates in DIR (EC P-256, PEM; private keys 0600):",
        "  ca.pem, ca.key                    the CA every party trusts",
        "  controller.pem, controller.key    serverAuth; SANs: each --controller-host, localhost, 127.0.0.1",
        "  agent-ID.pem, agent-ID.key        clientAuth; CN agent-ID (the controller checks it against the agent's node id)",
        "  operator-NAME.pem, .key           clientAuth; CN operator-NAME: what `pgferry status|apply|...` present to the",
        "                                    controller's API (--cert/--key, or PGFERRY_CERT/PGFERRY_KEY)",
        "Run again on the same DIR it keeps the CA and every certificate already there, and issues only the new ones",
        "(e.g. one more --operator). --force replaces the CA and re-issues everything named."})
public final class CertsInitCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "directory to write to (created 0700 if missing)")
  Path dir;

  @Option(names = "--controller-host", paramLabel = "HOST", description = "name or IP agents dial the controller by (repeatable)")
  List<String> controllerHosts = List.of();

  @Option(names = "--agent", paramLabel = "ID[=HOST[,HOST]]", description = "node id to issue an agent certificate for"
      + " (repeatable); with =HOST the certificate also serves the node's PostgreSQL (serverAuth, HOST as name for"
      + " sslmode verify-full)")
  List<String> agents = List.of();

  @Option(names = "--operator", paramLabel = "NAME", description = "operator to issue an API client certificate for (repeatable)")
  List<String> operators = List.of();

  @Option(names = "--days", paramLabel = "N", defaultValue = "825", description = "validity of the controller, agent and operator certificates (default: ${DEFAULT-VALUE})")
  int days;

  @Option(names = "--force", description = "replace an existing CA (all certificates must then be re-issued and redeployed)")
  boolean force;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    if (days < 1) {
      throw new UsageException("--days must be at least 1");
    }
    var issued = new CertificateAuthority(dir, Duration.ofDays(3650), Duration.ofDays(days)).init(controllerHosts, agents, operators, force);
    PrintWriter out = spec.commandLine().getOut();
    issued.kept().forEach(f -> out.println("kept  " + f + " (already there)"));
    issued.files().forEach(f -> out.println("wrote " + f));
    out.flush();
    return 0;
  }
}
