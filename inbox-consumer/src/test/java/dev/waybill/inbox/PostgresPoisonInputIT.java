package dev.waybill.inbox;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** Poison input at the consumer on PostgreSQL (which refuses a NUL in text) and a real broker. */
class PostgresPoisonInputIT extends PoisonInputContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  String serialColumn() {
    return "n BIGSERIAL PRIMARY KEY";
  }

  @Override
  String narrowColumnSql(String table, String column, int chars) {
    return "ALTER TABLE " + table + " ALTER COLUMN " + column + " TYPE VARCHAR(" + chars + ")";
  }
}
