package dev.waybill.inbox;

import dev.waybill.testkit.EmbeddedPostgresServer;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.SQLException;
import javax.sql.DataSource;

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
  DatabaseOutage databaseOutage() throws SQLException {
    EmbeddedPostgresServer server = EmbeddedPostgresServer.start();
    ConsumerFixture own;
    try {
      own = new ConsumerFixture(server.createDatabase(), serialColumn());
    } catch (RuntimeException | SQLException e) {
      server.close();
      throw e;
    }
    DataSource pool = failFast(own.db.dataSource());
    return new DatabaseOutage() {
      @Override
      public ConsumerFixture fixture() {
        return own;
      }

      @Override
      public DataSource consumerDataSource() {
        return pool;
      }

      @Override
      public void takeDown() {
        server.stop();
      }

      @Override
      public void bringBack() {
        server.restart();
      }

      @Override
      public void close() {
        try {
          server.restart(); // running, so that the database can be dropped
          own.close();
        } finally {
          server.close();
        }
      }
    };
  }
}
