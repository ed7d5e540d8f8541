package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.testkit.WrongLogins;
import dev.waybill.testkit.WrongLogins.Login;
import dev.waybill.testkit.WrongLogins.Mistake;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DLQ tool's database commands against a database they cannot log in to: the driver's own
 * reason with a fitting hint, no password, not the pool's bare timeout, and no "migrate".
 */
class OutboxDatabaseErrorsIT {
  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String engine : List.of("postgresql", "mariadb")) {
      for (Mistake mistake : Mistake.values()) {
        all.add(Arguments.of(engine, mistake, List.of("outbox", "list")));
        all.add(Arguments.of(engine, mistake, List.of("outbox", "discard", "1")));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}, {1}: {2}")
  @MethodSource("cases")
  void explainsWhyItCannotConnect(String engine, Mistake mistake, List<String> command) {
    Login login = WrongLogins.shared(engine).login(mistake);
    List<String> args = new ArrayList<>(command);
    args.addAll(login.setFlags());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        DlqMain.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
    assertThat(exit).as("exit code; stderr: " + err).isEqualTo(1);
    login.assertExplainedBy(err.toString() + out);
  }
}
