package dev.waybill.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * {@code outbox-relay generate-completion} prints a bash/zsh completion script of every command.
 */
class RelayCompletionTest {
  @Test
  void generateCompletionPrintsAScriptNamingEverySubcommand() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = RelayMain.execute(new PrintWriter(out), new PrintWriter(err), "generate-completion");
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("#!/usr/bin/env bash", "complete -F _complete_outbox-relay")
        .contains("run", "migrate", "status", "doctor")
        .contains("--slot-lag-warning");
  }
}
