package dev.waybill.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MessageIdTest {

  @Test
  void generatesVersion7IdsWithTheCurrentTimeAndRfcVariant() {
    Instant before = Instant.now();
    MessageId id = MessageId.generate();
    assertThat(id.value().version()).isEqualTo(7);
    assertThat(id.value().variant()).isEqualTo(2);
    assertThat(id.timestamp())
        .hasValueSatisfying(
            t -> assertThat(Duration.between(before, t).abs()).isLessThan(Duration.ofSeconds(2)));
  }

  @Test
  void idsFromOneThreadAreStrictlyIncreasing() {
    List<MessageId> ids = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(MessageId.generate());
    }
    for (int i = 1; i < ids.size(); i++) {
      assertThat(ids.get(i)).isGreaterThan(ids.get(i - 1));
      assertThat(ids.get(i).toString().compareTo(ids.get(i - 1).toString())).isPositive();
    }
  }

  @Test
  void idsFromManyThreadsAreUnique() throws Exception {
    Set<MessageId> ids = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int t = 0; t < 8; t++) {
      pool.submit(
          () -> {
            for (int i = 0; i < 20_000; i++) {
              ids.add(MessageId.generate());
            }
          });
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(ids).hasSize(160_000);
  }

  @Test
  void parsesTheCanonicalFormAndRejectsOthers() {
    MessageId id = MessageId.generate();
    assertThat(MessageId.parse(id.toString())).isEqualTo(id);
    assertThatThrownBy(() -> MessageId.parse("1-2-3-4-5"))
        .hasMessage(
            "message id '1-2-3-4-5' is not a UUID: expected 36 characters like 0190f2a4-...");
    assertThatThrownBy(() -> MessageId.parse("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"))
        .hasMessageStartingWith("message id 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz' is not a UUID");
  }
}
