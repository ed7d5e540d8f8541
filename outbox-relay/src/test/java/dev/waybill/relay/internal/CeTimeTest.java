package dev.waybill.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CeTimeTest {
  @Test
  void formatsExactlyAsIsoInstant() {
    CeTime ceTime = new CeTime();
    SplittableRandom random = new SplittableRandom(7);
    long base = Instant.parse("2026-11-26T08:00:00Z").getEpochSecond();
    int[] nanos = {0, 1, 10, 999, 1_000, 120_000, 123_456_000, 5_000_000, 120_000_000, 999_999_999};
    for (int i = 0; i < 20_000; i++) {
      long second = base + random.nextInt(4); // repeats seconds, as the rows of a batch do
      int nano = i % 2 == 0 ? nanos[random.nextInt(nanos.length)] : random.nextInt(1_000_000_000);
      Instant t = Instant.ofEpochSecond(second, nano);
      assertEquals(DateTimeFormatter.ISO_INSTANT.format(t), ceTime.format(t), t::toString);
    }
    for (Instant t :
        new Instant[] {
          Instant.EPOCH, Instant.ofEpochSecond(-1, 500), Instant.parse("+12026-01-01T00:00:00.5Z")
        }) {
      assertEquals(DateTimeFormatter.ISO_INSTANT.format(t), ceTime.format(t));
    }
  }
}
