package dev.waybill.relay.http;

import dev.waybill.outbox.internal.Json;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.RelayStatus;
import dev.waybill.relay.http.SelectorHttpServer.Response;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The relay's HTTP endpoint (no framework). {@code GET} (or {@code HEAD}) only, on these exact
 * paths; any other method gets 405, any other path 404:
 *
 * <ul>
 *   <li>{@code /metrics}: Prometheus text format;
 *   <li>{@code /health/live}: 200 while the relay's threads run (its publish loop and its
 *       maintenance task), else 503. A database or Kafka outage does not change it: point a
 *       liveness probe here;
 *   <li>{@code /health/ready}: 200 when the relay runs and both the database and Kafka answered
 *       within the last 10 seconds ({@link Relay#healthy()}), else 503: point a readiness probe or
 *       an alert here;
 *   <li>{@code /health}: the same status code as {@code /health/ready}, with both answers in the
 *       body.
 * </ul>
 *
 * <p>Bodies of the health paths are JSON, e.g. {@code
 * {"status":"UP","live":true,"ready":true,"instance":"relay-1","running":true,"ownedShards":64}}.
 * Idle or slow clients cannot block it (see {@link SelectorHttpServer}). Thread-safe.
 */
public final class HttpEndpoint implements AutoCloseable {
  private static final Map<String, String> ALLOW = Map.of("Allow", "GET, HEAD");
  private static final List<String> PATHS =
      List.of("/metrics", "/health", "/health/live", "/health/ready");

  private final SelectorHttpServer server;

  private HttpEndpoint(SelectorHttpServer server) {
    this.server = server;
  }

  /**
   * Starts serving on {@code port} on every interface ({@value RelayConfig#DEFAULT_HTTP_HOST}).
   *
   * @param port the TCP port, or 0 for any free port
   * @param relay the relay whose health is reported
   * @param registry the registry scraped by {@code /metrics}
   * @return the running endpoint; close it to stop serving
   * @throws IOException when the port cannot be bound
   */
  public static HttpEndpoint start(int port, Relay relay, PrometheusMeterRegistry registry)
      throws IOException {
    return start(RelayConfig.DEFAULT_HTTP_HOST, port, relay, registry);
  }

  /**
   * Starts serving on {@code host:port}.
   *
   * @param host the address to bind ({@code http.host}): {@code 0.0.0.0} for every IPv4 interface,
   *     {@code ::} for every interface, {@code 127.0.0.1} for this machine only
   * @param port the TCP port, or 0 for any free port
   * @param relay the relay whose health is reported
   * @param registry the registry scraped by {@code /metrics}
   * @return the running endpoint; close it to stop serving
   * @throws IOException when the address cannot be resolved or bound
   */
  public static HttpEndpoint start(
      String host, int port, Relay relay, PrometheusMeterRegistry registry) throws IOException {
    return new HttpEndpoint(
        SelectorHttpServer.start(
            "waybill-relay-http-" + relay.instanceId(),
            host,
            port,
            (method, path) -> handle(method, path, relay, registry)));
  }

  private static Response handle(
      String method, String path, Relay relay, PrometheusMeterRegistry registry) {
    if (!PATHS.contains(path)) {
      return Response.text(404, "not found; the paths are " + String.join(", ", PATHS) + "\n");
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return new Response(
          405,
          "text/plain; charset=utf-8",
          "method not allowed; use GET\n".getBytes(StandardCharsets.UTF_8),
          ALLOW);
    }
    if (path.equals("/metrics")) {
      return new Response(
          200,
          "text/plain; version=0.0.4; charset=utf-8",
          registry.scrape().getBytes(StandardCharsets.UTF_8),
          Map.of());
    }
    boolean live = relay.live();
    boolean ready = relay.healthy();
    boolean up = path.equals("/health/live") ? live : ready;
    RelayStatus s = relay.status();
    String body =
        "{\"status\":\""
            + (up ? "UP" : "DOWN")
            + "\",\"live\":"
            + live
            + ",\"ready\":"
            + ready
            + ",\"instance\":"
            + Json.quote(s.instanceId())
            + ",\"running\":"
            + s.running()
            + ",\"ownedShards\":"
            + s.ownedShards().size()
            + "}";
    return new Response(
        up ? 200 : 503, "application/json", body.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  /**
   * The bound port.
   *
   * @return the port actually bound, useful after asking for port 0
   */
  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
  }
}
