package dev.waybill.inbox;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The inbox contract on MariaDB (the MySQL dialect). */
class MariaDbInboxIT extends InboxContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.mariadb();
  }

  @Override
  Dialect dialect() {
    return Dialect.mysql();
  }
}
