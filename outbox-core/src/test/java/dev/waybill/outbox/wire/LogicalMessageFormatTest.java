package dev.waybill.outbox.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class LogicalMessageFormatTest {

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void roundTripsEveryFieldAndKeepsPayloadBytesAsIs() {
    UUID id = UUID.randomUUID();
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("tenant", "ac\"me\n");
    headers.put("b", "2");
    byte[] payload = {0, '\n', (byte) 0xff, '{'};
    byte[] content =
        LogicalMessageFormat.encode(
            id,
            "orders",
            "k\n1",
            "OrderPlaced",
            "application/octet-stream",
            headers,
            null,
            payload);
    LogicalMessageFormat.Decoded d = LogicalMessageFormat.decode(content);
    assertThat(d.id()).contains(id);
    assertThat(d.topic()).isEqualTo("orders");
    assertThat(d.key()).contains("k\n1");
    assertThat(d.type()).isEqualTo("OrderPlaced");
    assertThat(d.contentType()).isEqualTo("application/octet-stream");
    assertThat(d.headers()).containsExactlyEntriesOf(headers);
    assertThat(d.traceparent()).isEmpty();
    assertThat(d.payload()).isEqualTo(payload);
  }

  @Test
  void theMinimalPlainSqlFormFromTheDocsDecodesWithDefaults() {
    LogicalMessageFormat.Decoded d =
        LogicalMessageFormat.decode(
            utf8(
                "{\"v\":1,\"topic\":\"orders\",\"key\":\"order-17\",\"type\":\"OrderPlaced\","
                    + "\"time\":\"2024-05-01T10:00:00Z\",\"future\":[1]}\n{\"orderId\":17}"));
    assertThat(d.id()).isEmpty();
    assertThat(d.contentType()).isEqualTo("application/json");
    assertThat(d.time()).contains(Instant.parse("2024-05-01T10:00:00Z"));
    assertThat(new String(d.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"orderId\":17}");
  }

  @Test
  void refusesAnotherVersionMissingMembersAndGarbageNamingTheProblem() {
    assertThatThrownBy(
            () -> LogicalMessageFormat.decode(utf8("{\"v\":2,\"topic\":\"t\",\"type\":\"x\"}\n")))
        .isInstanceOf(LogicalMessageFormat.MalformedMessageException.class)
        .hasMessageContaining("version 2.0: this relay reads version 1");
    assertThatThrownBy(() -> LogicalMessageFormat.decode(utf8("{\"v\":1,\"type\":\"x\"}\n")))
        .hasMessageContaining("lacks the required member \"topic\"");
    assertThatThrownBy(() -> LogicalMessageFormat.decode(utf8("no envelope")))
        .hasMessageContaining("no line feed");
    assertThatThrownBy(() -> LogicalMessageFormat.decode(utf8("{\"v\":1,\n")))
        .hasMessageContaining("not a JSON object");
    assertThatThrownBy(
            () ->
                LogicalMessageFormat.decode(
                    utf8("{\"v\":1,\"topic\":\"t\",\"type\":\"x\",\"id\":\"nope\"}\n")))
        .hasMessageContaining("'nope' is not a UUID");
  }
}
