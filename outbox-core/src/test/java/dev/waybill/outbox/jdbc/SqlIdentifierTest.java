package dev.waybill.outbox.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.schema.TableNames;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SqlIdentifierTest {

  @Test
  void parsesPlainAndSchemaQualifiedNames() {
    assertThat(SqlIdentifier.parse("outbox.table", "waybill_outbox").sql())
        .isEqualTo("waybill_outbox");
    SqlIdentifier q = SqlIdentifier.parse("outbox.table", "app.Outbox_2");
    assertThat(q.schema()).contains("app");
    assertThat(q.name()).isEqualTo("Outbox_2");
    assertThat(q.sql()).isEqualTo("app.Outbox_2");
  }

  @Test
  void rejectsAnythingThatCouldInjectSql() {
    for (String bad :
        new String[] {
          "x; DROP TABLE t", "a-b", "1abc", "a.b.c", "\"quoted\"", "tab le", "a.", ".a"
        }) {
      assertThatThrownBy(() -> SqlIdentifier.parse("outbox.table", bad))
          .isInstanceOf(InvalidIdentifierException.class)
          .hasMessageStartingWith("outbox.table '" + bad + "' is not a safe SQL identifier: ");
    }
  }

  @Test
  void rejectsReservedWordsAndOverlongNames() {
    assertThatThrownBy(() -> SqlIdentifier.of("Select"))
        .hasMessage("name 'Select' is a reserved SQL word: choose another name");
    assertThatThrownBy(() -> SqlIdentifier.of("x".repeat(64)))
        .hasMessage("name '" + "x".repeat(64) + "' is longer than 63 characters");
    assertThatThrownBy(() -> SqlIdentifier.parse("outbox.table", " "))
        .hasMessage("outbox.table is empty: give a table name such as waybill_outbox");
  }

  @Test
  void tableNamesValidateEveryNameAndLeaveRoomForIndexNames() {
    assertThat(TableNames.defaults().withSchema("app").outboxTable().sql())
        .isEqualTo("app.waybill_outbox");
    assertThatThrownBy(() -> TableNames.defaults().withOutbox("o".repeat(49)))
        .isInstanceOf(InvalidIdentifierException.class)
        .hasMessage(
            "outbox table '"
                + "o".repeat(49)
                + "' is longer than 48 characters (index names are derived from it)");
    assertThatThrownBy(() -> TableNames.defaults().withInbox("in box"))
        .hasMessageStartingWith("inbox table 'in box' must start with a letter or underscore");
    assertThatThrownBy(() -> TableNames.defaults().withSchema("bad-schema"))
        .hasMessageStartingWith("schema 'bad-schema' must start with a letter");
    assertThat(new SqlIdentifier(Optional.empty(), "t").inSchema(Optional.of("s")).sql())
        .isEqualTo("s.t");
  }
}
