package io.pgferry.common;

import io.vertx.core.Vertx;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.ByteBuffer;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * One mutual-TLS handshake in memory with the process's own certificate, run on a thread of its own while the rest
 * starts. The first handshake of a fresh JVM is slow (JSSE's providers, the key exchange and signature code, all
 * interpreted: over a second on 2 cores); a restarted controller pays it when its agents redial, inside a cutover's
 * write gap. Done here, the agents' handshakes find the code loaded and partly compiled. Best effort: a failure is
 * logged and changes nothing.
 */
public final class TlsWarmup {
  private static final Logger LOG = Logger.getLogger(TlsWarmup.class.getName());
  private static final int MAX_ROUNDS = 64;

  private TlsWarmup() {}

  /** Starts the warm-up on a daemon thread and returns it (null without TLS). */
  public static Thread start(Vertx vertx, Tls tls) {
    if (tls == null) {
      return null;
    }
    Thread t = new Thread(() -> {
      long started = System.nanoTime();
      try {
        handshake(vertx, tls);
        LOG.info(() -> "TLS warm-up handshake in " + (System.nanoTime() - started) / 1_000_000 + " ms");
      } catch (Exception | LinkageError e) {
        LOG.log(Level.FINE, "TLS warm-up skipped: " + e, e);
      }
    }, "tls-warmup");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** A client and a server engine with the same key, certificate and CA, handshaking until both are done. */
  public static void handshake(Vertx vertx, Tls tls) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(new PemKeyCertOptions().setCertPath(tls.cert().toString()).setKeyPath(tls.key().toString())
            .getKeyManagerFactory(vertx).getKeyManagers(),
        new PemTrustOptions().addCertPath(tls.ca().toString()).getTrustManagerFactory(vertx).getTrustManagers(), null);
    SSLEngine server = ctx.createSSLEngine();
    server.setUseClientMode(false);
    server.setNeedClientAuth(true);
    SSLEngine client = ctx.createSSLEngine();
    client.setUseClientMode(true);
    int packet = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
    int app = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize());
    ByteBuffer toServer = ByteBuffer.allocate(packet);
    ByteBuffer toClient = ByteBuffer.allocate(packet);
    ByteBuffer sink = ByteBuffer.allocate(app);
    ByteBuffer empty = ByteBuffer.allocate(0);
    client.beginHandshake();
    server.beginHandshake();
    for (int round = 0; round < MAX_ROUNDS && !(finished(client) && finished(server)); round++) {
      client.wrap(empty, toServer);
      runTasks(client);
      server.wrap(empty, toClient);
      runTasks(server);
      toServer.flip();
      server.unwrap(toServer, sink);
      toServer.compact();
      runTasks(server);
      sink.clear();
      toClient.flip();
      client.unwrap(toClient, sink);
      toClient.compact();
      runTasks(client);
      sink.clear();
    }
    if (!(finished(client) && finished(server))) {
      throw new IllegalStateException("handshake did not finish: client " + client.getHandshakeStatus() + ", server "
          + server.getHandshakeStatus());
    }
  }

  private static boolean finished(SSLEngine e) {
    HandshakeStatus s = e.getHandshakeStatus();
    return s == HandshakeStatus.NOT_HANDSHAKING || s == HandshakeStatus.FINISHED;
  }

  private static void runTasks(SSLEngine e) {
    Runnable task;
    while ((task = e.getDelegatedTask()) != null) {
      task.run();
    }
  }
}
