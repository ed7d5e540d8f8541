package dev.waybill.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutboxMessageTest {

  private static OutboxMessage.Builder valid() {
    return OutboxMessage.builder()
        .topic("orders")
        .key("o-1")
        .eventType("OrderPlaced")
        .jsonPayload("{}");
  }

  @Test
  void buildsAMessageWithAGeneratedTimeOrderedId() {
    OutboxMessage m = valid().header("tenant", "acme").build();
    assertThat(m.id().value().version()).isEqualTo(7);
    assertThat(m.topic()).isEqualTo("orders");
    assertThat(m.key()).contains("o-1");
    assertThat(m.headers()).containsExactly(Map.entry("tenant", "acme"));
    assertThat(m.payload().contentType()).isEqualTo(Payload.APPLICATION_JSON);
  }

  @Test
  void requiresTopicEventTypeAndPayloadAndListsEveryProblem() {
    assertThatThrownBy(() -> OutboxMessage.builder().build())
        .isInstanceOf(InvalidMessageException.class)
        .hasMessage(
            "invalid outbox message: topic is required: give the Kafka topic to publish to;"
                + " eventType is required: give a type such as OrderPlaced; payload is required:"
                + " use Payload.json(...), Payload.text(...) or bytes")
        .extracting(e -> ((InvalidMessageException) e).field())
        .isEqualTo("topic");
  }

  @Test
  void rejectsTopicNamesKafkaRejects() {
    for (String bad : new String[] {"with space", "a/b", ".", "..", "x".repeat(250), "é"}) {
      assertThatThrownBy(() -> valid().topic(bad).build())
          .isInstanceOf(InvalidMessageException.class)
          .hasMessageContaining(
              "is not a valid Kafka topic name: use 1 to 249 characters from"
                  + " a-z A-Z 0-9 . _ - (and not '.' or '..')");
    }
    assertThat(valid().topic("a.b_c-D9").build().topic()).isEqualTo("a.b_c-D9");
    assertThat(valid().topic("x".repeat(249)).build().topic()).hasSize(249);
  }

  @Test
  void rejectsBlankOrControlCharacterEventTypes() {
    assertThatThrownBy(() -> valid().eventType("  ").build())
        .hasMessageContaining("eventType is required");
    assertThatThrownBy(() -> valid().eventType("Order\nPlaced").build())
        .hasMessageContaining(
            "eventType 'Order?Placed' is invalid: use 1 to 255 characters without control"
                + " characters");
  }

  @Test
  void rejectsKeysLongerThanTheColumn() {
    assertThatThrownBy(() -> valid().key("k".repeat(1025)).build())
        .hasMessage(
            "invalid outbox message for topic 'orders': key of 1025 characters is too long: at"
                + " most 1024 characters");
    assertThat(valid().key(null).build().key()).isEmpty();
  }

  @Test
  void rejectsInvalidAndReservedHeaderNamesAndNullValues() {
    assertThatThrownBy(() -> valid().header("bad name", "v").build())
        .hasMessageContaining(
            "header name 'bad name' is invalid: start with a letter or digit, then use letters,"
                + " digits and . _ - : (at most 255 characters)");
    assertThatThrownBy(() -> valid().header("ce_id", "x").build())
        .hasMessageContaining("header name 'ce_id' is reserved for the CloudEvents binding");
    assertThatThrownBy(() -> valid().header("Content-Type", "x").build())
        .hasMessageContaining("header name 'Content-Type' is reserved");
    assertThatThrownBy(() -> valid().header("traceparent", "x").build())
        .hasMessageContaining("header name 'traceparent' is reserved");
    Map<String, String> withNull = new HashMap<>();
    withNull.put("tenant", null);
    assertThatThrownBy(() -> valid().headers(withNull).build())
        .hasMessageContaining("header 'tenant' has a null value: give a value or leave it out");
  }

  @Test
  void acceptsOnlyWellFormedTraceparents() {
    String ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    assertThat(valid().traceparent(ok).build().traceparent()).contains(ok);
    for (String bad :
        new String[] {
          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"
        }) {
      assertThatThrownBy(() -> valid().traceparent(bad).build())
          .isInstanceOf(InvalidMessageException.class)
          .hasMessageContaining("is not a W3C trace context");
    }
  }

  @Test
  void rejectsMalformedJsonPayloadsWithThePosition() {
    assertThatThrownBy(() -> Payload.json("{\"a\": }"))
        .isInstanceOf(InvalidMessageException.class)
        .hasMessage("payload is not well-formed JSON: expected a JSON value at offset 6");
    assertThatThrownBy(() -> Payload.json("{} x"))
        .hasMessage(
            "payload is not well-formed JSON: unexpected text after the JSON value at offset 3");
  }

  @Test
  void delayIsMeasuredFromTheBuildersClock() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    OutboxMessage m =
        valid().clock(Clock.fixed(now, ZoneOffset.UTC)).delay(Duration.ofMinutes(5)).build();
    assertThat(m.notBefore()).contains(now.plusSeconds(300));
    assertThatThrownBy(() -> valid().delay(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("delay PT-1S is negative: give zero or a positive duration");
  }

  @Test
  void payloadIsCopiedInAndOut() {
    byte[] bytes = {1, 2, 3};
    Payload p = Payload.bytes(bytes);
    bytes[0] = 9;
    assertThat(p.bytes()).containsExactly(1, 2, 3);
    p.bytes()[1] = 9;
    assertThat(p.bytes()).containsExactly(1, 2, 3);
    assertThat(p).isEqualTo(Payload.bytes(new byte[] {1, 2, 3}));
    assertThat(p.toString()).isEqualTo("Payload[3 bytes, application/octet-stream]");
  }

  @Test
  void toStringShowsNoPayloadOrHeaderValues() {
    OutboxMessage m = valid().header("secret", "s3cr3t").jsonPayload("{\"card\":\"4111\"}").build();
    assertThat(m.toString()).doesNotContain("s3cr3t").doesNotContain("4111").contains("secret");
  }
}
