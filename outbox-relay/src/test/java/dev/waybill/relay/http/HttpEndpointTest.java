package dev.waybill.relay.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.waybill.outbox.internal.Json;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayStatus;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP endpoint as a client sees it, over real sockets. The relay behind it is a fixed stand-in
 * (the endpoint only reads its status): the relays' own health is tested with real databases and
 * Kafka in the relay suites.
 */
class HttpEndpointTest {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  @Test
  void answersHealthWhileOneClientSendsNothingAndAnotherHalfARequestLine() throws Exception {
    HttpEndpoint endpoint = start(new StandIn("r1", true, true));
    Socket idle = open(endpoint);
    Socket slow = open(endpoint);
    slow.getOutputStream().write("GET /hea".getBytes(StandardCharsets.US_ASCII));
    slow.getOutputStream().flush();

    assertThat(get(endpoint, "GET", "/health").status()).isEqualTo(200);
    assertThat(get(endpoint, "GET", "/metrics").status()).isEqualTo(200);

    assertThat(stillOpen(idle))
        .as("health answered while the idle client was still connected, not after it was dropped")
        .isTrue();
    assertThat(stillOpen(slow)).isTrue();
  }

  @Test
  void aFloodOfIdleConnectionsDoesNotLockOutAProbe() throws Exception {
    HttpEndpoint endpoint = start(new StandIn("r1", true, true));
    for (int i = 0; i < SelectorHttpServer.MAX_CONNECTIONS + 20; i++) {
      open(endpoint);
    }
    assertThat(get(endpoint, "GET", "/health/live").status()).isEqualTo(200);
  }

  @Test
  void answersOnlyGetAndHeadWith405AndAnAllowHeaderOtherwise() throws Exception {
    HttpEndpoint endpoint = start(new StandIn("r1", true, true));
    for (String method : List.of("POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "FOO")) {
      for (String path : List.of("/health", "/health/live", "/health/ready", "/metrics")) {
        Reply r = get(endpoint, method, path);
        assertThat(r.status()).as(method + " " + path).isEqualTo(405);
        assertThat(r.headers()).containsEntry("allow", "GET, HEAD");
      }
    }
    Reply head = get(endpoint, "HEAD", "/health/ready");
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(Integer.parseInt(head.headers().get("content-length")))
        .isEqualTo(get(endpoint, "GET", "/health/ready").body().length());
  }

  @Test
  void answersOnlyItsExactPathsWith404Otherwise() throws Exception {
    HttpEndpoint endpoint = start(new StandIn("r1", true, true));
    for (String path :
        List.of(
            "/",
            "/healthz",
            "/health/",
            "/health/live/x",
            "/health/anything",
            "/metricsfoo",
            "/metrics/x",
            "/admin")) {
      assertThat(get(endpoint, "GET", path).status()).as(path).isEqualTo(404);
    }
    assertThat(get(endpoint, "GET", "/metrics?name[]=x").status())
        .as("a query string does not change the path")
        .isEqualTo(200);
  }

  @Test
  void liveStaysUpWhileReadyAndHealthAreDownDuringAnOutage() throws Exception {
    HttpEndpoint endpoint = start(new StandIn("r1", true, false));
    Reply live = get(endpoint, "GET", "/health/live");
    Reply ready = get(endpoint, "GET", "/health/ready");
    Reply health = get(endpoint, "GET", "/health");
    assertThat(live.status()).isEqualTo(200);
    assertThat(Json.parseObject(live.body())).containsEntry("status", "UP");
    assertThat(ready.status()).isEqualTo(503);
    assertThat(Json.parseObject(ready.body())).containsEntry("status", "DOWN");
    assertThat(health.status()).as("/health answers as /health/ready").isEqualTo(503);
    assertThat(Json.parseObject(health.body()))
        .containsEntry("live", true)
        .containsEntry("ready", false);
  }

  @Test
  void liveIsDownWhenTheRelaysThreadsAreNot() throws Exception {
    HttpEndpoint endpoint = start(new StandIn("r1", false, false));
    assertThat(get(endpoint, "GET", "/health/live").status()).isEqualTo(503);
  }

  @Test
  void escapesAnInstanceIdWithQuotesBackslashesAndControlCharacters() throws Exception {
    String id = "a\"b\\c\u0001d\ne\u001b[31m\"}";
    HttpEndpoint endpoint = start(new StandIn(id, true, true));
    for (String path : List.of("/health", "/health/live", "/health/ready")) {
      Map<String, Object> json = Json.parseObject(get(endpoint, "GET", path).body());
      assertThat(json).as(path).containsEntry("instance", id).containsEntry("status", "UP");
    }
  }

  @Test
  void refusesAnOversizedRequestHead() throws Exception {
    HttpEndpoint endpoint = start(new StandIn("r1", true, true));
    String big = "GET /health HTTP/1.1\r\nX: " + "a".repeat(SelectorHttpServer.MAX_HEAD_BYTES);
    assertThat(send(endpoint, big).status()).isEqualTo(431);
    assertThat(send(endpoint, "NONSENSE\r\n\r\n").status()).isEqualTo(400);
  }

  @Test
  void boundToLoopbackItIsNotReachableOnOtherInterfaces() throws Exception {
    Optional<InetAddress> other = nonLoopbackAddress();
    assumeTrue(other.isPresent(), "this machine has no non-loopback IPv4 address");
    HttpEndpoint endpoint =
        HttpEndpoint.start("127.0.0.1", 0, new StandIn("r1", true, true), registry);
    toClose.add(endpoint);
    assertThat(get(endpoint, "GET", "/health").status()).isEqualTo(200);
    assertThatThrownBy(
            () -> {
              try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(other.get(), endpoint.port()), 10_000);
              }
            })
        .isInstanceOf(IOException.class);
  }

  @Test
  void aPortInUseIsABindExceptionNamingTheSettings() throws Exception {
    HttpEndpoint first = start(new StandIn("r1", true, true));
    assertThatThrownBy(
            () -> HttpEndpoint.start(first.port(), new StandIn("r2", true, true), registry))
        .isInstanceOf(BindException.class)
        .hasMessageContaining(String.valueOf(first.port()))
        .hasMessageContaining("http.port");
  }

  @Test
  void namesTheAddressWhenItCannotBind() {
    assertThatThrownBy(
            () ->
                HttpEndpoint.start(
                    "no-such-host.invalid", 0, new StandIn("r1", true, true), registry))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no-such-host.invalid")
        .hasMessageContaining("http.host");
  }

  // --- helpers ---

  private HttpEndpoint start(Relay relay) throws IOException {
    HttpEndpoint e = HttpEndpoint.start(0, relay, registry);
    toClose.add(e);
    return e;
  }

  private Socket open(HttpEndpoint endpoint) throws IOException {
    Socket s = new Socket("127.0.0.1", endpoint.port());
    toClose.add(s);
    return s;
  }

  /** Whether the server still keeps the connection open (it has sent nothing and not closed). */
  private static boolean stillOpen(Socket s) throws IOException {
    s.setSoTimeout(200);
    try {
      return s.getInputStream().read() >= 0;
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  record Reply(int status, Map<String, String> headers, String body) {}

  private static Reply get(HttpEndpoint endpoint, String method, String path) throws IOException {
    return send(endpoint, method + " " + path + " HTTP/1.1\r\nHost: relay\r\n\r\n");
  }

  /** Sends a raw request and reads the response until the server closes the connection. */
  private static Reply send(HttpEndpoint endpoint, String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", endpoint.port())) {
      s.setSoTimeout(60_000); // only a guard against a hang
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.UTF_8);
      int split = text.indexOf("\r\n\r\n");
      String[] lines = text.substring(0, split).split("\r\n");
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
      return new Reply(
          Integer.parseInt(lines[0].split(" ")[1]), headers, text.substring(split + 4));
    }
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(ni.getInetAddresses())) {
        if (a instanceof Inet4Address) {
          return Optional.of(a);
        }
      }
    }
    return Optional.empty();
  }

  /** A relay whose health is fixed: what the endpoint reports is under test, not the relay. */
  private record StandIn(String instanceId, boolean live, boolean healthy) implements Relay {
    @Override
    public void start() {}

    @Override
    public void close() {}

    @Override
    public RelayStatus status() {
      return new RelayStatus(instanceId, live, Set.of(1, 2), 0, 0, 0, false);
    }
  }
}
