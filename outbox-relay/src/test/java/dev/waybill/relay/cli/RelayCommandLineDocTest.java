package dev.waybill.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

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
    Map<String, String> declared = declared(new CommandLine(new RelayMain()));
    Map<String, String> documented =
        documented(Files.readString(Path.of("..", "docs", "configuration.md")), MARKER);
    assertThat(documented)
        .as(
            "'option on command' → default, from the table after %s in docs/configuration.md"
                + " (left) against RelayMain's picocli options (right)",
            MARKER)
        .containsExactlyInAnyOrderEntriesOf(declared);
  }

  /**
   * Every (option, subcommand) pair of a picocli command tree, as {@code "`--name LABEL` on
   * command"} → default ({@code —} when none); the standard --help/--version and the help
   * subcommand are left out.
   */
  static Map<String, String> declared(CommandLine root) {
    Map<String, String> out = new TreeMap<>();
    collect(root, "", out);
    return out;
  }

  private static void collect(CommandLine cl, String path, Map<String, String> out) {
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (o.usageHelp() || o.versionHelp() || path.isEmpty()) {
        continue;
      }
      String name = "`" + o.longestName() + (o.arity().max() > 0 ? " " + o.paramLabel() : "") + "`";
      out.put(name + " on " + path, o.defaultValue() == null ? "—" : "`" + o.defaultValue() + "`");
    }
    cl.getSubcommands()
        .forEach(
            (name, sub) -> {
              if (!(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                collect(sub, path.isEmpty() ? name : path + " " + name, out);
              }
            });
  }

  /**
   * The rows of the table after {@code marker}: {@code | `--name LABEL` | `cmd`, `cmd sub` |
   * default | meaning |}, as {@code "`--name LABEL` on cmd"} → default.
   */
  static Map<String, String> documented(String doc, String marker) {
    int at = doc.indexOf(marker);
    assertThat(at).as("marker %s in docs/configuration.md", marker).isNotNegative();
    List<String> table = new ArrayList<>();
    boolean inTable = false;
    for (String line : doc.substring(at + marker.length()).split("\n")) {
      if (line.startsWith("|")) {
        inTable = true;
        table.add(line);
      } else if (inTable || !line.isBlank()) {
        break;
      }
    }
    assertThat(table).as("a table right after %s", marker).hasSizeGreaterThan(2);
    Map<String, String> out = new TreeMap<>();
    for (String row : table.subList(2, table.size())) {
      String[] cells = row.substring(1).split("(?<!\\\\)\\|");
      assertThat(cells).as("cells of row %s", row).hasSizeGreaterThanOrEqualTo(4);
      String name = cells[0].trim();
      String def = cells[2].trim();
      for (String command : cells[1].split(",")) {
        String key = name + " on " + command.trim().replace("`", "");
        assertThat(out.put(key, def)).as("%s is documented once", key).isNull();
      }
    }
    return out;
  }
}
