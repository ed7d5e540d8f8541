package dev.waybill.relay;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The relay contract on MariaDB. */
class MariaDbRelayIT extends RelayContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.mariadb();
  }

  @Override
  Dialect dialect() {
    return Dialect.mysql();
  }
}
