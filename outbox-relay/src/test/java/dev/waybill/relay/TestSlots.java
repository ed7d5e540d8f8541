package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.relay.internal.LogicalSlot;
import dev.waybill.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/** Replication slot clean-up for the CDC tests: no test may leave a slot behind. */
final class TestSlots {
  private TestSlots() {}

  /**
   * Drops {@code slotName} once the WAL sender of a closed or killed relay has let go of it (within
   * {@code wait}), with its snapshot marker, then asserts that no slot of {@code db}'s database is
   * left.
   */
  static void dropAndCheckNoneLeft(TestDatabase db, String slotName, Duration wait)
      throws SQLException {
    await()
        .atMost(wait)
        .ignoreExceptions()
        .until(
            () -> {
              LogicalSlot.drop(db.dataSource(), slotName);
              // the physical slot that marks an unfinished initial snapshot, if one was left
              LogicalSlot.drop(db.dataSource(), slotName + "_snapshot");
              return true;
            });
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM pg_replication_slots WHERE database = current_database()")) {
      rs.next();
      assertThat(rs.getLong(1)).as("no slot left behind").isZero();
    }
  }
}
