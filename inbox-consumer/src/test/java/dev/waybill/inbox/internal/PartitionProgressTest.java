package dev.waybill.inbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionProgressTest {
  final PartitionProgress p = new PartitionProgress(new TopicPartition("t", 0));

  @Test
  void commitsOnlyUpToTheFirstRecordNotDone() {
    for (long o = 10; o < 15; o++) {
      p.register(o);
    }
    for (int i = 0; i < 5; i++) {
      assertThat(p.tryStart()).isTrue();
    }
    p.finish(11, true);
    p.finish(12, true);
    assertThat(p.toCommit()).isEmpty();
    p.finish(10, true);
    assertThat(p.toCommit()).hasValue(13);
    p.committed(13);
    assertThat(p.toCommit()).isEmpty();
    p.finish(13, false); // abandoned: never committed past it
    p.finish(14, true);
    assertThat(p.committable()).hasValue(13);
    assertThat(p.pendingCount()).isEqualTo(2);
  }

  @Test
  void afterRevokeNothingStartsAndTheRevokeWaitsForRunningRecords() throws Exception {
    p.register(1);
    assertThat(p.tryStart()).isTrue();
    CompletableFuture<Boolean> revoke =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return p.revokeAndAwait(Duration.ofSeconds(30));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(p.sleepUnlessRevoked(30_000)).as("a retry wait ends at revoke").isFalse();
    assertThat(revoke).isNotDone();
    assertThat(p.tryStart()).isFalse();
    p.finish(1, true);
    assertThat(revoke.get(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aRevokeGivesUpAfterItsTimeout() throws Exception {
    assertThat(p.tryStart()).isTrue();
    assertThat(p.revokeAndAwait(Duration.ofMillis(50))).isFalse();
  }
}
