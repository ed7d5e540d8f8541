package dev.waybill.outbox.schema;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.util.Map;

/** Flyway and Liquibase applying the shipped scripts on PostgreSQL. */
class PostgresExternalSchemaIT extends ExternalSchemaContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  Dialect dialect() {
    return Dialect.postgres();
  }

  @Override
  String dropIndexSql(String index, String table) {
    return "DROP INDEX " + index;
  }

  @Override
  Map<String, String> releasedChecksums() {
    return Map.of(
        "outbox/1", "982694e4efadeda8cc793b4323a998eadddc007f2252f3db526908bc4c010e38",
        "outbox/2", "226fdd9304e8818a229b751f1bd5fdd4d57f73e8071663462508daedfabde5ad",
        "inbox/1", "4bfba2d92603baaff3e78f062d3f0f6ff7568a8fa86395127b0e7b539b13ea8e");
  }
}
