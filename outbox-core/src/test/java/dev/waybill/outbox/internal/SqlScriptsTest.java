package dev.waybill.outbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SqlScriptsTest {

  @Test
  void splitsAtSemicolonsEndingALineAndSkipsComments() {
    String script = "-- header\nCREATE TABLE a (x INT);\n\n-- next\nCREATE INDEX i ON a (x);  \n";
    assertThat(SqlScripts.split(script))
        .containsExactly("CREATE TABLE a (x INT)", "CREATE INDEX i ON a (x)");
  }

  @Test
  void fillsEveryPlaceholderAndRejectsUnknownOnes() {
    assertThat(SqlScripts.fillPlaceholders("CREATE TABLE ${t} (${t}_id INT)", Map.of("t", "s.o")))
        .isEqualTo("CREATE TABLE s.o (s.o_id INT)");
    assertThatThrownBy(() -> SqlScripts.fillPlaceholders("${nope}", Map.of("t", "x")))
        .hasMessage("script placeholder ${nope} has no value; known: [t]");
  }
}
