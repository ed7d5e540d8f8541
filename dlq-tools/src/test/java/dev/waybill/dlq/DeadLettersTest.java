package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeadLettersTest {
  @Test
  void fingerprintSkipsFrameworkFramesAndStopsAtTheCause() {
    assertThat(DeadLetters.fingerprint("java.lang.IllegalStateException", DeadLetterRecords.STACK))
        .isEqualTo("java.lang.IllegalStateException@com.acme.orders.Stock.reserve");
    String onlyCause =
        "x.Y: a\n\tat java.util.Foo.bar(Foo.java:1)\nCaused by: z\n\tat com.acme.A.b(A.java:2)\n";
    assertThat(DeadLetters.fingerprint("x.Y", onlyCause)).isEqualTo("x.Y@java.util.Foo.bar");
    assertThat(DeadLetters.fingerprint("x.Y", "")).isEqualTo("x.Y");
  }

  @Test
  void fingerprintOfAConnectStackFallsBackToTheFirstFrame() {
    assertThat(
            DeadLetters.fingerprint(
                "org.apache.kafka.connect.errors.DataException", DeadLetterRecords.CONNECT_STACK))
        .isEqualTo(
            "org.apache.kafka.connect.errors.DataException"
                + "@org.apache.kafka.connect.json.JsonConverter.toConnectData");
  }

  @Test
  void groupIdIsShortAndStable() {
    assertThat(DeadLetters.groupId("a@b.c")).hasSize(8).isEqualTo(DeadLetters.groupId("a@b.c"));
    assertThat(DeadLetters.groupId("a@b.c")).isNotEqualTo(DeadLetters.groupId("a@b.d"));
  }

  @Test
  void displayShowsTextAsTextAndBinaryAsHex() {
    assertThat(DeadLetters.display("order-7".getBytes())).isEqualTo("order-7");
    assertThat(DeadLetters.display(new byte[] {0, 1, (byte) 0xfe})).isEqualTo("0x0001fe");
  }
}
