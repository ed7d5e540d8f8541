package dev.waybill.inbox;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The inbox contract on PostgreSQL. */
class PostgresInboxIT extends InboxContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  Dialect dialect() {
    return Dialect.postgres();
  }
}
