package dev.waybill.outbox.schema;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.util.Map;

/** Flyway and Liquibase applying the shipped scripts on MariaDB. */
class MariaDbExternalSchemaIT extends ExternalSchemaContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.mariadb();
  }

  @Override
  Dialect dialect() {
    return Dialect.mysql();
  }

  @Override
  String dropIndexSql(String index, String table) {
    return "DROP INDEX " + index + " ON " + table;
  }

  @Override
  Map<String, String> releasedChecksums() {
    return Map.of(
        "outbox/1", "52398f495d3137015ddcd1be28a34ea158701115389cd8dcede20fcde83a27f4",
        "outbox/2", "4d9f7caaf9e551a4981655b1f12c8a792541abd85ab3249982d5c3a6b4c6e8b7",
        "inbox/1", "8f844f9b2c5d532fd02c355a0c1cb708694d3a217697ea151ab451fbdf2a9325");
  }
}
