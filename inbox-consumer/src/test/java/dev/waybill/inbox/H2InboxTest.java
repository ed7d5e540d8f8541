package dev.waybill.inbox;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The inbox contract on H2 (PostgreSQL mode). */
class H2InboxTest extends InboxContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.h2();
  }

  @Override
  Dialect dialect() {
    return Dialect.h2();
  }
}
