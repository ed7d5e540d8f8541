package dev.waybill.relay.cli;

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
 * {@code run}, {@code migrate} and {@code status} against a database they cannot log in to: each
 * prints the driver's own reason (wrong password, unknown database, nothing listening) with the
 * hint that fits it, never a password, never the pool's bare timeout, and never "migrate" when the
 * schema is not the problem.
 */
class DatabaseErrorsIT {
  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String engine : List.of("postgresql", "mariadb")) {
      for (Mistake mistake : Mistake.values()) {
        for (String command : List.of("run", "migrate", "status")) {
          all.add(Arguments.of(engine, mistake, command));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0}, {1}: {2}")
  @MethodSource("cases")
  void explainsWhyItCannotConnect(String engine, Mistake mistake, String command) {
    Login login = WrongLogins.shared(engine).login(mistake);
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(login.setFlags());
    if (command.equals("run")) {
      args.addAll(List.of("--set", "kafka.bootstrap.servers=127.0.0.1:9", "--set", "http.port=-1"));
      args.addAll(List.of("--wait-for-database", "0")); // the wait is RelayProcessIT's subject
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        RelayMain.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
    assertThat(exit).as("exit code; stderr: " + err).isEqualTo(1);
    login.assertExplainedBy(err.toString() + out);
  }
}
