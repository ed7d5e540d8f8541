package dev.waybill.inbox;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The consumer's promises on PostgreSQL and a real broker. */
class PostgresInboxConsumerIT extends InboxConsumerContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  String serialColumn() {
    return "n BIGSERIAL PRIMARY KEY";
  }
}
