package dev.waybill.outbox.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8Test {

  @Test
  void decodesValidUtf8AndRefusesMalformedBytesInsteadOfReplacingThem() {
    assertThat(Utf8.decodeStrict("id-€-😀".getBytes(StandardCharsets.UTF_8))).contains("id-€-😀");
    assertThat(Utf8.decodeStrict(new byte[] {'i', 'd', (byte) 0xFF})).isEmpty();
    assertThat(Utf8.decodeStrict(new byte[] {'i', 'd', (byte) 0xFE})).isEmpty();
    assertThat(Utf8.decodeStrict(new byte[] {'a', (byte) 0xC3})).as("truncated sequence").isEmpty();
    assertThat(Utf8.decodeStrict(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}))
        .as("an encoded surrogate")
        .isEmpty();
  }

  @Test
  void encodesTextThatFitsUnchanged() {
    assertThat(Utf8.encodeWithin("short €", 64))
        .isEqualTo("short €".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void cutsMultiByteTextWithinTheByteBudgetBetweenCharactersWithANote() {
    String text = "€".repeat(1_000) + "😀".repeat(1_000);
    for (int budget : new int[] {64, 100, 1_024, 3_001, 3_002, 3_003, 4_099}) {
      byte[] out = Utf8.encodeWithin(text, budget);
      assertThat(out.length).as("bytes within %d", budget).isLessThanOrEqualTo(budget);
      String back = Utf8.decodeStrict(out).orElseThrow();
      assertThat(back).endsWith("... (" + (3_000 + 4_000) + " bytes)");
      assertThat(text).startsWith(back.substring(0, back.indexOf("... (")));
    }
  }
}
