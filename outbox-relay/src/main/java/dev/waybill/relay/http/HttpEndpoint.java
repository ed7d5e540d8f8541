package dev.waybill.relay.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The relay's HTTP endpoint (JDK HTTP server, no framework): {@code GET /metrics} in Prometheus
 * text format and {@code GET /health}, 200 with {@code {"status":"UP"}} when the relay runs and
 * both the database and Kafka answered within the last 10 seconds, else 503 with {@code DOWN}.
 */
public final class HttpEndpoint implements AutoCloseable {
  private final HttpServer server;

  private HttpEndpoint(HttpServer server) {
    this.server = server;
  }

  /**
   * Starts serving on {@code port} (0: any free port) on all interfaces.
   *
   * @param port the TCP port, or 0 for any free port
   * @param relay the relay whose health is reported
   * @param registry the registry scraped by {@code /metrics}
   * @return the running endpoint; close it to stop serving
   * @throws IOException when the port cannot be bound
   */
  public static HttpEndpoint start(int port, Relay relay, PrometheusMeterRegistry registry)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "waybill-relay-http-" + relay.instanceId());
              t.setDaemon(true);
              return t;
            }));
    server.createContext(
        "/metrics",
        ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    server.createContext(
        "/health",
        ex -> {
          RelayStatus s = relay.status();
          boolean up = relay.healthy();
          String body =
              "{\"status\":\""
                  + (up ? "UP" : "DOWN")
                  + "\",\"instance\":\""
                  + s.instanceId().replace("\"", "")
                  + "\",\"running\":"
                  + s.running()
                  + ",\"ownedShards\":"
                  + s.ownedShards().size()
                  + "}";
          respond(ex, up ? 200 : 503, "application/json", body);
        });
    server.start();
    return new HttpEndpoint(server);
  }

  /**
   * The bound port.
   *
   * @return the port actually bound, useful after asking for port 0
   */
  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
