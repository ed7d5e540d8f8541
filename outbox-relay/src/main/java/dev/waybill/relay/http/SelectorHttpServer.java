package dev.waybill.relay.http;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for a few read-only endpoints. One selector thread does all the network
 * work without blocking (accepting, reading request heads, writing responses); a pool of {@link
 * #WORKERS} threads computes the responses. A client that connects and sends nothing, or sends its
 * request a byte at a time, therefore holds a socket and a buffer, never a thread: it cannot delay
 * anyone else's request. Each connection has a deadline ({@link #HEAD_TIMEOUT} to send its request
 * head, then {@link #RESPONSE_TIMEOUT} for the answer to be computed and read) and is closed when
 * it passes; with {@link #MAX_CONNECTIONS} open, the oldest is closed to admit a new one. Every
 * response closes its connection; request bodies are not read.
 *
 * <p>Thread-safe; not API.
 */
final class SelectorHttpServer implements AutoCloseable {
  /** Threads that compute responses. */
  static final int WORKERS = 2;

  /** Requests waiting for a worker; more are answered 503 at once. */
  static final int QUEUE = 16;

  /** Open connections kept at most. */
  static final int MAX_CONNECTIONS = 64;

  /** Largest request head (request line and headers). */
  static final int MAX_HEAD_BYTES = 8 * 1024;

  /** Time a client has, from connecting, to send its whole request head. */
  static final Duration HEAD_TIMEOUT = Duration.ofSeconds(5);

  /** Time from a complete request head until the response must have been read. */
  static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(SelectorHttpServer.class);

  /** Computes the response to one request; called on a worker thread. */
  interface Handler {
    /**
     * @param method the request method as sent, e.g. {@code GET}
     * @param path the request target's path, without the query string
     * @return the response; a HEAD request gets its headers only
     */
    Response handle(String method, String path);
  }

  /** A complete response. */
  record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
    Response {
      headers = Map.copyOf(headers);
    }

    static Response text(int status, String body) {
      return new Response(
          status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8), Map.of());
    }
  }

  private final String name;
  private final Handler handler;
  private final ServerSocketChannel server;
  private final Selector selector;
  private final ThreadPoolExecutor workers;
  private final Queue<Runnable> toSelector = new ConcurrentLinkedQueue<>();
  private final Set<Connection> connections = new LinkedHashSet<>(); // selector thread only
  private final Thread io;
  private volatile boolean open = true;

  private SelectorHttpServer(
      String name, Handler handler, ServerSocketChannel server, Selector selector) {
    this.name = name;
    this.handler = handler;
    this.server = server;
    this.selector = selector;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            WORKERS,
            WORKERS,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, name + "-worker-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.io = new Thread(this::run, name);
    io.setDaemon(true);
  }

  /**
   * Binds {@code host:port} and starts serving.
   *
   * @param name the threads' name prefix
   * @param host the address to bind: an IP address or host name; {@code 0.0.0.0} for every IPv4
   *     interface, {@code ::} for every interface
   * @param port the port, 0 for any free port
   * @param handler computes the responses
   * @return the running server
   * @throws IOException when the address cannot be resolved or bound, naming it
   */
  static SelectorHttpServer start(String name, String host, int port, Handler handler)
      throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    Selector selector = null;
    try {
      InetSocketAddress address = new InetSocketAddress(host, port);
      if (address.isUnresolved()) {
        throw new UnresolvedAddressException();
      }
      server.bind(address, 128);
      server.configureBlocking(false);
      selector = Selector.open();
      server.register(selector, SelectionKey.OP_ACCEPT);
    } catch (IOException | RuntimeException e) {
      server.close();
      if (selector != null) {
        selector.close();
      }
      String message =
          "cannot serve HTTP on "
              + host
              + ":"
              + port
              + " ("
              + (e instanceof UnresolvedAddressException ? "unknown host" : e.getMessage())
              + "); check http.host and http.port";
      IOException failure =
          e instanceof BindException ? new BindException(message) : new IOException(message);
      failure.initCause(e);
      throw failure;
    }
    SelectorHttpServer s = new SelectorHttpServer(name, handler, server, selector);
    s.io.start();
    return s;
  }

  /**
   * @return the bound port
   */
  int port() {
    try {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new IllegalStateException("the HTTP server is closed", e);
    }
  }

  @Override
  public void close() {
    open = false;
    selector.wakeup();
    try {
      io.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
  }

  private void run() {
    try {
      while (open) {
        selector.select(250);
        for (Runnable r; (r = toSelector.poll()) != null; ) {
          r.run();
        }
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          try {
            if (!key.isValid()) {
              continue;
            }
            if (key.isAcceptable()) {
              accept();
            } else if (key.attachment() instanceof Connection c) {
              if (key.isReadable()) {
                read(c);
              } else if (key.isWritable()) {
                write(c);
              }
            }
          } catch (IOException | RuntimeException e) {
            if (key.attachment() instanceof Connection c) {
              close(c);
            } else {
              LOG.warn("{}: accepting a connection failed: {}", name, e.toString());
            }
          }
        }
        closeExpired();
      }
    } catch (IOException | ClosedSelectorException e) {
      if (open) {
        LOG.error("{}: the HTTP server stopped: {}", name, e.toString());
      }
    } finally {
      for (Connection c : new ArrayList<>(connections)) {
        close(c);
      }
      quietly(server);
      try {
        selector.close();
      } catch (IOException e) {
        LOG.debug("{}: closing the selector: {}", name, e.toString());
      }
    }
  }

  private void accept() throws IOException {
    for (SocketChannel ch; (ch = server.accept()) != null; ) {
      if (connections.size() >= MAX_CONNECTIONS) {
        close(connections.iterator().next()); // the oldest: a slow client yields to a new one
      }
      ch.configureBlocking(false);
      Connection c = new Connection(ch, System.nanoTime() + HEAD_TIMEOUT.toNanos());
      c.key = ch.register(selector, SelectionKey.OP_READ, c);
      connections.add(c);
    }
  }

  private void read(Connection c) throws IOException {
    int n = c.channel.read(c.in);
    if (n < 0) {
      close(c);
      return;
    }
    int end = headEnd(c.in);
    if (end < 0) {
      if (!c.in.hasRemaining()) {
        respond(c, "GET", Response.text(431, "request head larger than 8 KiB\n"));
      }
      return;
    }
    c.key.interestOps(0);
    c.deadline = System.nanoTime() + RESPONSE_TIMEOUT.toNanos();
    String head = new String(c.in.array(), 0, end, StandardCharsets.ISO_8859_1);
    int eol = head.indexOf('\n');
    String[] line = (eol < 0 ? head : head.substring(0, eol)).strip().split(" ", -1);
    if (line.length != 3 || !line[2].startsWith("HTTP/1.") || !line[1].startsWith("/")) {
      respond(c, "GET", Response.text(400, "malformed request line\n"));
      return;
    }
    String method = line[0];
    int query = line[1].indexOf('?');
    String path = query < 0 ? line[1] : line[1].substring(0, query);
    try {
      workers.execute(
          () -> {
            Response r;
            try {
              r = handler.handle(method, path);
            } catch (RuntimeException | Error e) {
              LOG.warn("{}: {} {} failed: {}", name, method, path, e.toString());
              r = Response.text(500, "internal error\n");
            }
            Response response = r;
            toSelector.add(() -> respond(c, method, response));
            selector.wakeup();
          });
    } catch (RejectedExecutionException e) {
      respond(c, method, Response.text(503, "busy\n"));
    }
  }

  /** The length of the request head including its blank line, or -1 while incomplete. */
  private static int headEnd(ByteBuffer in) {
    byte[] b = in.array();
    for (int i = 1; i < in.position(); i++) {
      if (b[i] == '\n' && (b[i - 1] == '\n' || (i >= 3 && b[i - 1] == '\r' && b[i - 2] == '\n'))) {
        return i + 1;
      }
    }
    return -1;
  }

  /** Starts writing a response; on the selector thread. */
  private void respond(Connection c, String method, Response r) {
    if (!c.channel.isOpen()) {
      return;
    }
    StringBuilder h =
        new StringBuilder("HTTP/1.1 ")
            .append(r.status())
            .append(' ')
            .append(reason(r.status()))
            .append("\r\nContent-Type: ")
            .append(r.contentType())
            .append("\r\nContent-Length: ")
            .append(r.body().length)
            .append("\r\nCache-Control: no-store\r\nConnection: close\r\n");
    r.headers().forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
    byte[] head = h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    boolean withBody = !"HEAD".equals(method);
    ByteBuffer out = ByteBuffer.allocate(head.length + (withBody ? r.body().length : 0));
    out.put(head);
    if (withBody) {
      out.put(r.body());
    }
    c.out = out.flip();
    try {
      c.key.interestOps(SelectionKey.OP_WRITE);
      write(c);
    } catch (IOException | RuntimeException e) {
      close(c);
    }
  }

  private void write(Connection c) throws IOException {
    c.channel.write(c.out);
    if (!c.out.hasRemaining()) {
      // read what the client may still send (a body), so that closing does not reset the
      // connection before the client has read the response
      c.in.clear();
      while (c.channel.read(c.in) > 0) {
        c.in.clear();
      }
      close(c);
    }
  }

  private void closeExpired() {
    long now = System.nanoTime();
    List<Connection> expired = new ArrayList<>();
    for (Connection c : connections) {
      if (now - c.deadline >= 0) {
        expired.add(c);
      }
    }
    expired.forEach(this::close);
  }

  private void close(Connection c) {
    connections.remove(c);
    if (c.key != null) {
      c.key.cancel();
    }
    quietly(c.channel);
  }

  private void quietly(java.nio.channels.Channel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      LOG.debug("{}: closing a channel: {}", name, e.toString());
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  /** One client connection; touched by the selector thread only. */
  private static final class Connection {
    final SocketChannel channel;
    final ByteBuffer in = ByteBuffer.allocate(MAX_HEAD_BYTES);
    SelectionKey key;
    ByteBuffer out;
    long deadline;

    Connection(SocketChannel channel, long deadline) {
      this.channel = channel;
      this.deadline = deadline;
    }
  }
}
