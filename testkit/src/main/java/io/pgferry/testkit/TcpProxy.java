package io.pgferry.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder from a local port to host:port that can black-hole the link: {@link #blackhole()} stops forwarding
 * bytes in both directions without closing any socket (existing and new connections see a silent peer, as on a
 * half-open link or a dropped route); {@link #restore()} forwards again (connections made before stay broken, as
 * their bytes were lost). Plain threads; always close it.
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String upstreamHost;
  private final int upstreamPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile boolean blackholed;
  private volatile boolean closed;

  private TcpProxy(ServerSocket server, String upstreamHost, int upstreamPort) {
    this.server = server;
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
  }

  public static TcpProxy start(String upstreamHost, int upstreamPort) throws IOException {
    ServerSocket s = new ServerSocket();
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    TcpProxy p = new TcpProxy(s, upstreamHost, upstreamPort);
    thread("tcp-proxy-accept-" + s.getLocalPort(), p::acceptLoop);
    return p;
  }

  public String host() {
    return server.getInetAddress().getHostAddress();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  public void blackhole() {
    blackholed = true;
  }

  public void restore() {
    blackholed = false;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        accepted.incrementAndGet();
        sockets.add(client);
        Socket upstream = new Socket();
        sockets.add(upstream);
        if (blackholed) {
          continue; // accepted, never answered: the client waits on a silent peer
        }
        upstream.connect(new InetSocketAddress(upstreamHost, upstreamPort), 5000);
        thread("tcp-proxy-up", () -> pump(client, upstream));
        thread("tcp-proxy-down", () -> pump(upstream, client));
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  /** Copies from one socket to the other; while black-holed, bytes are dropped and an end of stream is not passed on. */
  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[64 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (!blackholed) {
          out.write(buf, 0, n);
          out.flush();
        }
      }
      if (!blackholed) {
        to.close();
      }
    } catch (IOException e) {
      if (!blackholed) {
        closeQuietly(to);
      }
    }
  }

  private static void thread(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    sockets.forEach(TcpProxy::closeQuietly);
  }
}
