package dev.waybill.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * The polling relay holds four connections at once (loop, DELETE thread, LISTEN, gauges): a smaller
 * pool would make one of them wait for another, so {@code run} refuses it at start, before it
 * connects anywhere.
 */
class RelayPoolSizeTest {

  @Test
  void runRefusesAPoolSmallerThanTheFourConnectionsTheRelayHolds() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        RelayMain.execute(
            new PrintWriter(out),
            new PrintWriter(err),
            "run",
            "--set",
            "db.url=jdbc:postgresql://127.0.0.1:1/nowhere",
            "--set",
            "db.user=relay",
            "--set",
            "db.password=",
            "--set",
            "db.pool.size=3",
            "--set",
            "kafka.bootstrap.servers=127.0.0.1:1");
    assertThat(exit).as(err.toString()).isEqualTo(2);
    assertThat(err.toString())
        .contains("'3' → db.pool.size → the relay needs at least 4 connections");
  }
}
