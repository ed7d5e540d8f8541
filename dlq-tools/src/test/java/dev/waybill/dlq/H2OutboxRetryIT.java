package dev.waybill.dlq;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

class H2OutboxRetryIT extends OutboxRetryContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.h2();
  }
}
