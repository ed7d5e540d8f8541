package dev.waybill.relay;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The writer's and the polling relay's least privilege on MariaDB. */
class MariaDbRelayGrantsIT extends RelayGrantsContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.mariadb();
  }

  @Override
  String dialectFolder() {
    return "mysql";
  }
}
