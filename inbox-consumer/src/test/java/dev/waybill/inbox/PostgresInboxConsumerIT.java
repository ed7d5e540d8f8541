package dev.waybill.inbox;

import dev.waybill.testkit.DatabaseOutage;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.SQLException;

/** The consumer's promises on PostgreSQL and a real broker. */
class PostgresInboxConsumerIT extends InboxConsumerContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  String serialColumn() {
    return "n BIGSERIAL PRIMARY KEY";
  }

  /**
   * A real server restart: a PostgreSQL server of this test's own (embedded, never the machine's
   * shared one) is stopped with a fast shutdown, which ends every session and rolls back open
   * transactions, and started again on the same data directory and port.
   */
  @Override
  Drill databaseOutage() throws SQLException {
    DatabaseOutage outage = DatabaseOutage.ownPostgresServer();
    try {
      return new Drill(new ConsumerFixture(outage.database(), serialColumn()), outage, true);
    } catch (RuntimeException | SQLException e) {
      outage.close();
      throw e;
    }
  }
}
