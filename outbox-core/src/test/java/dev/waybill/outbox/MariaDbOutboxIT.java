package dev.waybill.outbox;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The outbox contract on MariaDB (the MySQL dialect). */
class MariaDbOutboxIT extends OutboxContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.mariadb();
  }

  @Override
  Dialect dialect() {
    return Dialect.mysql();
  }
}
