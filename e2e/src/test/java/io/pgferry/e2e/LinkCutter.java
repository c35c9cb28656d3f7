package io.pgferry.e2e;

import io.pgferry.testkit.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A TCP relay in front of the controller's link port that the test can cut (a network partition for one agent). */
final class LinkCutter implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean cut;

  LinkCutter(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(FreePorts.next(), 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "link-cutter");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket in = server.accept();
        if (cut) {
          in.close();
          continue;
        }
        Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(in);
        sockets.add(out);
        pump(in, out);
        pump(out, in);
      } catch (IOException e) {
        // closed
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16384];
      try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
        int n;
        while (!cut && (n = i.read(buf)) >= 0) {
          o.write(buf, 0, n);
        }
      } catch (IOException e) {
        // cut or closed
      }
      closeQuietly(from);
      closeQuietly(to);
    }, "link-cutter-pump");
    t.setDaemon(true);
    t.start();
  }

  /** Drops every connection and refuses new ones. */
  void cut() {
    cut = true;
    sockets.forEach(LinkCutter::closeQuietly);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    cut();
    server.close();
  }
}
