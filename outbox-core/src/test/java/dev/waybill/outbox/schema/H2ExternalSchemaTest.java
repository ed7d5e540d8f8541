package dev.waybill.outbox.schema;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.util.Map;

/** Flyway and Liquibase applying the shipped scripts on H2. */
class H2ExternalSchemaTest extends ExternalSchemaContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.h2();
  }

  @Override
  Dialect dialect() {
    return Dialect.h2();
  }

  @Override
  String dropIndexSql(String index, String table) {
    return "DROP INDEX " + index;
  }

  @Override
  Map<String, String> releasedChecksums() {
    return Map.of(
        "outbox/1", "efc79d0b4d9f03e2c923e12b0482ba00f183788af60e935c9f14cc40f587567e",
        "outbox/2", "1cee8d63d16d45936dc5ef76c3947d3f856b6c0bcb8b75f7377d704eef5fc8ef",
        "inbox/1", "4045a1cd7f52a6e9624b5bc618a10497e0351221751fa5be50c8c74c11503f7b");
  }
}
