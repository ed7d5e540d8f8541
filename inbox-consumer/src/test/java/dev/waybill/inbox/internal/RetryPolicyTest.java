package dev.waybill.inbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.NonRetriableException;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The resilience4j semantics the consumer relies on: attempts, backoff bounds, non-retriable. */
class RetryPolicyTest {

  static Retry retry(int attempts, double jitter) {
    InboxConfig config =
        InboxConfig.builder()
            .groupId("g")
            .topics("t")
            .maxAttempts(attempts)
            .backoff(Duration.ofMillis(100), 2.0, Duration.ofMillis(300), jitter)
            .build();
    ConsumerOptions options =
        new ConsumerOptions(
            config,
            null,
            java.util.Map.of(),
            java.util.Map.of(),
            java.util.Map.of(),
            null,
            java.util.List.of(),
            null,
            t -> !(t instanceof NonRetriableException),
            null,
            null,
            j -> {},
            dev.waybill.inbox.spi.TransactionRunner.jdbc());
    return Retry.of("test", RecordProcessor.retryConfig(config, options));
  }

  @Test
  void givesUpAfterMaxAttemptsWithGrowingCappedWaits() {
    Retry.AsyncContext<Void> ctx = retry(4, 0).asyncContext();
    RuntimeException e = new IllegalStateException("x");
    assertThat(ctx.onError(e)).isEqualTo(100);
    assertThat(ctx.onError(e)).isEqualTo(200);
    assertThat(ctx.onError(e)).as("capped at the max interval").isEqualTo(300);
    assertThat(ctx.onError(e)).as("the 4th failed attempt is the last").isEqualTo(-1);
  }

  @Test
  void jitterStaysWithinItsFactor() {
    for (int i = 0; i < 50; i++) {
      long d = retry(5, 0.5).asyncContext().onError(new IllegalStateException());
      assertThat(d).isBetween(50L, 150L);
    }
  }

  @Test
  void nonRetriableFailuresAreNotRetried() {
    assertThat(retry(5, 0).asyncContext().onError(new NonRetriableException("no"))).isEqualTo(-1);
  }
}
