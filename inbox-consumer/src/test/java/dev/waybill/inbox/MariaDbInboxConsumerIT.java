package dev.waybill.inbox;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;

/** The consumer's promises on MariaDB (the MySQL dialect) and a real broker. */
class MariaDbInboxConsumerIT extends InboxConsumerContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.mariadb();
  }

  @Override
  String serialColumn() {
    return "n BIGINT AUTO_INCREMENT PRIMARY KEY";
  }
}
