package dev.waybill.inbox;

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
