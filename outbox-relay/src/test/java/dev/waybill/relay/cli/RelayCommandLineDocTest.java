package dev.waybill.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.testkit.CliOptionTables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Keeps the relay's command-line table in {@code docs/configuration.md} (after the marker {@code
 * <!-- options:outbox-relay -->}) equal to the options picocli declares, in both directions: every
 * option of every subcommand has a row naming it, its parameter label, the subcommand and its
 * default, and every row names an option that exists on the subcommands it lists.
 */
class RelayCommandLineDocTest {
  static final String MARKER = "<!-- options:outbox-relay -->";

  @Test
  void everyRelayOptionIsDocumentedAndEveryDocumentedOptionExists() throws Exception {
    Map<String, String> declared = CliOptionTables.declared(new CommandLine(new RelayMain()));
    Map<String, String> documented =
        CliOptionTables.documented(
            Files.readString(Path.of("..", "docs", "configuration.md")), MARKER);
    assertThat(documented)
        .as(
            "'option on command' → default, from the table after %s in docs/configuration.md"
                + " (left) against RelayMain's picocli options (right)",
            MARKER)
        .containsExactlyInAnyOrderEntriesOf(declared);
  }
}
