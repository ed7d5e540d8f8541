package dev.waybill.relay;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The writer's and the polling relay's least privilege on PostgreSQL. */
class PostgresRelayGrantsIT extends RelayGrantsContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  String dialectFolder() {
    return "postgresql";
  }
}
