package dev.waybill.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OnceTest {

  @Test
  void computesTheValueOnce() {
    AtomicInteger calls = new AtomicInteger();
    Once<String> once = new Once<>(() -> "value " + calls.incrementAndGet());

    assertThat(once.describe(v -> v)).isEqualTo("not started yet");
    assertThat(once.get()).isEqualTo("value 1");
    assertThat(once.get()).isEqualTo("value 1");
    assertThat(once.describe(v -> "got " + v)).isEqualTo("got value 1");
  }

  @Test
  void remembersAFailureAndRepeatsItsMessage() {
    AtomicInteger calls = new AtomicInteger();
    Once<String> once =
        new Once<>(
            () -> {
              calls.incrementAndGet();
              throw new IllegalStateException("server at jdbc:x unreachable");
            });

    assertThatThrownBy(once::get).hasMessage("server at jdbc:x unreachable");
    assertThatThrownBy(once::get).hasMessage("server at jdbc:x unreachable");
    assertThat(calls).hasValue(1);
    assertThat(once.describe(v -> v)).isEqualTo("failed: server at jdbc:x unreachable");
  }
}
