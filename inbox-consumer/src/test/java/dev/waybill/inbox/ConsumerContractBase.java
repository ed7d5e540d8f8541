package dev.waybill.inbox;

import static dev.waybill.inbox.ConsumerFixture.settled;
import static org.awaitility.Awaitility.await;

import dev.waybill.testkit.TestDatabase;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the consumer's contract suites share: a fresh {@link ConsumerFixture} per test on the
 * database a subclass gives, closed after it.
 */
abstract class ConsumerContractBase {
  static final Duration WAIT = Duration.ofSeconds(60);

  ConsumerFixture fx;

  abstract TestDatabase newDatabase();

  /** The {@code applied} table's auto-numbered first column, named {@code n}. */
  abstract String serialColumn();

  /**
   * Starts a consumer of a one-partition topic and waits until it settled {@code records} records
   * (handled, duplicate, dead-lettered or skipped) and committed the partition to its end.
   */
  InboxConsumer consumeAll(InboxConsumer.Builder builder, String group, String topic, int records)
      throws Exception {
    InboxConsumer c = fx.start(builder);
    await().atMost(WAIT).until(() -> settled(c) == records);
    fx.awaitCommittedToEnd(group, topic, 1);
    return c;
  }

  @BeforeEach
  void setUp() throws SQLException {
    fx = new ConsumerFixture(newDatabase(), serialColumn());
  }

  @AfterEach
  void tearDown() {
    if (fx != null) { // null when the engine is unavailable and the test was skipped
      fx.close();
    }
  }
}
