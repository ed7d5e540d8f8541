package dev.waybill.outbox;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The outbox contract on embedded H2 (PostgreSQL mode). */
class H2OutboxTest extends OutboxContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.h2();
  }

  @Override
  Dialect dialect() {
    return Dialect.h2();
  }
}
