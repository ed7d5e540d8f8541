package dev.waybill.relay;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The relay contract on embedded H2 (the embedded path). */
class H2RelayIT extends RelayContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.h2();
  }

  @Override
  Dialect dialect() {
    return Dialect.h2();
  }
}
