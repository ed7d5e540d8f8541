package dev.waybill.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The command line, without engines: help and invalid usage. */
class DemoMainTest {
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int run(String... args) {
    return DemoMain.execute(new PrintWriter(out), new PrintWriter(err), args);
  }

  @Test
  void helpListsEveryOptionAndExitsZero() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString())
        .contains("--orders=N", "--keep-running", "--http-port=PORT", "--help")
        .contains("embedded PostgreSQL");
  }

  @Test
  void tooFewOrdersIsAUsageErrorNamingTheOption() {
    assertThat(run("--orders", "5")).isEqualTo(2);
    assertThat(err.toString()).contains("'5' → --orders → expected 20 to 1000000");
  }

  @Test
  void anImpossibleHttpPortIsAUsageError() {
    assertThat(run("--http-port", "70000")).isEqualTo(2);
    assertThat(err.toString()).contains("'70000' → --http-port");
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    assertThat(run("--ordres", "10")).isEqualTo(2);
    assertThat(err.toString()).contains("--ordres");
  }
}
