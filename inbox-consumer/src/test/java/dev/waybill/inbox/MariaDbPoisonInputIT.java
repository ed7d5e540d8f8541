package dev.waybill.inbox;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** Poison input at the consumer on MariaDB (the MySQL dialect) and a real broker. */
class MariaDbPoisonInputIT extends PoisonInputContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.mariadb();
  }

  @Override
  String serialColumn() {
    return "n BIGINT AUTO_INCREMENT PRIMARY KEY";
  }
}
