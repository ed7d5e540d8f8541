package dev.waybill.dlq;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

class MariaDbOutboxRetryIT extends OutboxRetryContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.mariadb();
  }
}
