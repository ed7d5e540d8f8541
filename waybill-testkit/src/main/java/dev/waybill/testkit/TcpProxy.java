package dev.waybill.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy for network fault drills: it listens on an ephemeral port of 127.0.0.1 and forwards
 * every connection to a target address, byte for byte, until told to misbehave.
 *
 * <ul>
 *   <li>{@link #freeze()}: no byte moves in either direction, every socket stays open (a network
 *       partition or a hung server, as the client sees it); {@link #thaw()} lets the held bytes
 *       through. New connections are accepted while frozen, and are frozen too.
 *   <li>{@link #cutAll()}: every open connection is reset (RST to the client and to the target).
 *   <li>{@link #down()}: cuts every connection and refuses new ones (the listening socket is
 *       closed, so a connect gets "connection refused", as from a stopped server); {@link #up()}
 *       listens again on the same port.
 * </ul>
 *
 * <pre>{@code
 * try (TcpProxy proxy = TcpProxy.start("127.0.0.1", 5432)) {
 *   String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app";
 *   ...
 *   proxy.freeze();
 * }
 * }</pre>
 *
 * <p>Each connection costs two daemon threads. Thread-safe.
 */
public final class TcpProxy implements AutoCloseable {

  private static final int BUFFER = 16 * 1024;

  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private ServerSocket listener;
  private boolean frozen;
  private boolean closed;
  private long accepted;

  private TcpProxy(String targetHost, int targetPort, ServerSocket listener) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.listener = listener;
    this.port = listener.getLocalPort();
  }

  /**
   * Starts a proxy to {@code targetHost:targetPort} on a free port of 127.0.0.1. The target is
   * connected only when a client connects.
   *
   * @param targetHost the host to forward to
   * @param targetPort the port to forward to
   * @return the running proxy; close it to stop it
   * @throws UncheckedIOException if no port can be bound
   */
  public static TcpProxy start(String targetHost, int targetPort) {
    Objects.requireNonNull(targetHost, "targetHost");
    if (targetPort <= 0 || targetPort > 65_535) {
      throw new IllegalArgumentException("target port " + targetPort + " is not a TCP port");
    }
    TcpProxy proxy = new TcpProxy(targetHost, targetPort, bind(0));
    proxy.acceptOn(proxy.listener);
    return proxy;
  }

  /** Returns the host clients connect to: always {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /**
   * Returns the port clients connect to; it stays the same across {@link #down()} and {@link
   * #up()}.
   */
  public int port() {
    return port;
  }

  /**
   * Stops forwarding bytes in both directions on every connection, open now or opened later, and
   * keeps every socket open. Bytes already read are held and delivered by {@link #thaw()}. Freezing
   * a frozen proxy does nothing.
   */
  public void freeze() {
    synchronized (lock) {
      frozen = true;
    }
  }

  /** Forwards bytes again, held ones first. Thawing a proxy that is not frozen does nothing. */
  public void thaw() {
    synchronized (lock) {
      frozen = false;
      lock.notifyAll();
    }
  }

  /** Returns whether the proxy is frozen. */
  public boolean isFrozen() {
    synchronized (lock) {
      return frozen;
    }
  }

  /**
   * Resets every open connection: both sockets are closed with an RST (linger 0), so the client and
   * the target see the connection fail at once. New connections are still accepted.
   */
  public void cutAll() {
    for (Link link : new ArrayList<>(links)) {
      link.reset();
    }
  }

  /**
   * Cuts every connection and refuses new ones until {@link #up()}: the listening socket is closed,
   * so a client trying to connect gets "connection refused". Taking down a proxy that is down does
   * nothing.
   */
  public void down() {
    synchronized (lock) {
      if (listener != null) {
        closeQuietly(listener);
        listener = null;
      }
    }
    cutAll();
  }

  /**
   * Listens again on the same port after {@link #down()}. Does nothing when the proxy is up.
   *
   * @throws UncheckedIOException if the port cannot be bound again (another process took it)
   * @throws IllegalStateException if the proxy is closed
   */
  public void up() {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("proxy " + this + " is closed");
      }
      if (listener == null) {
        listener = bind(port);
        acceptOn(listener);
      }
    }
  }

  /** Returns whether new connections are accepted (not {@link #down()}, not closed). */
  public boolean isUp() {
    synchronized (lock) {
      return listener != null;
    }
  }

  /** Returns the number of connections open through the proxy now. */
  public int openConnections() {
    return links.size();
  }

  /** Returns the number of connections accepted since the start. */
  public long acceptedConnections() {
    synchronized (lock) {
      return accepted;
    }
  }

  /** Stops listening and resets every connection. Closing twice does nothing. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      frozen = false;
      lock.notifyAll();
    }
    down();
  }

  /** Describes the proxy, for logs: {@code 127.0.0.1:<port> → <target>} and its state. */
  @Override
  public String toString() {
    String state;
    synchronized (lock) {
      state = closed ? "closed" : listener == null ? "down" : frozen ? "frozen" : "up";
    }
    return "tcp proxy 127.0.0.1:"
        + port
        + " → "
        + targetHost
        + ":"
        + targetPort
        + " ("
        + state
        + ")";
  }

  private static ServerSocket bind(int port) {
    try {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("tcp proxy: could not listen on 127.0.0.1:" + port, e);
    }
  }

  private void acceptOn(ServerSocket server) {
    Thread t = new Thread(() -> acceptLoop(server), "tcp-proxy-accept-" + port);
    t.setDaemon(true);
    t.start();
  }

  private void acceptLoop(ServerSocket server) {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed by down() or close()
      }
      Socket target = new Socket();
      try {
        client.setTcpNoDelay(true);
        target.setTcpNoDelay(true);
        target.connect(new InetSocketAddress(targetHost, targetPort), 10_000);
      } catch (IOException e) {
        resetQuietly(client);
        closeQuietly(target);
        continue;
      }
      Link link = new Link(client, target);
      synchronized (lock) {
        accepted++;
        if (server.isClosed()) { // went down while connecting
          link.reset();
          return;
        }
      }
      links.add(link);
      link.start();
    }
  }

  /** Blocks while the proxy is frozen. */
  private void awaitThawed() throws InterruptedException {
    synchronized (lock) {
      while (frozen && !closed) {
        lock.wait();
      }
    }
  }

  private static void resetQuietly(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (SocketException e) {
      // already closed
    }
    closeQuietly(s);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // nothing to do
    }
  }

  /** One client connection and its connection to the target, with a pump per direction. */
  private final class Link {
    private final Socket client;
    private final Socket target;
    private final List<Thread> pumps = new ArrayList<>(2);
    private final AtomicInteger finished = new AtomicInteger();

    Link(Socket client, Socket target) {
      this.client = client;
      this.target = target;
    }

    void start() {
      pumps.add(pump(client, target, "up"));
      pumps.add(pump(target, client, "down"));
      pumps.forEach(Thread::start);
    }

    private Thread pump(Socket from, Socket to, String direction) {
      Thread t =
          new Thread(
              () -> {
                byte[] buffer = new byte[BUFFER];
                try {
                  InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream();
                  while (true) {
                    awaitThawed();
                    int n = in.read(buffer);
                    if (n < 0) {
                      break;
                    }
                    awaitThawed(); // bytes read just before a freeze are held too
                    out.write(buffer, 0, n);
                    out.flush();
                  }
                  to.shutdownOutput(); // pass the end of stream on
                } catch (IOException | InterruptedException e) {
                  reset();
                  return;
                }
                if (finished.incrementAndGet() == 2) {
                  close();
                }
              },
              "tcp-proxy-" + port + "-" + direction);
      t.setDaemon(true);
      return t;
    }

    void reset() {
      links.remove(this);
      resetQuietly(client);
      resetQuietly(target);
    }

    void close() {
      links.remove(this);
      closeQuietly(client);
      closeQuietly(target);
    }
  }
}
