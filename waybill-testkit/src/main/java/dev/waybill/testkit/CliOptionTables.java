package dev.waybill.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Keeps a command-line tool's option table in {@code docs/} and its picocli options in step: both
 * sides become {@code "`--name LABEL` on command"} → default, so a test can compare them as maps
 * and fail on an option missing on either side or a wrong default. Used by the relay's and the DLQ
 * tool's documentation tests.
 */
public final class CliOptionTables {
  private CliOptionTables() {}

  /**
   * Every (option, subcommand) pair of a picocli command tree, with its default ({@code —} when
   * none, else the default in backticks); the standard {@code --help}/{@code --version} and the
   * {@code help} subcommand are left out, as are the root command's own options.
   *
   * @param root the tool's root command
   * @return {@code "`--name LABEL` on sub command"} → default, sorted
   */
  public static Map<String, String> declared(CommandLine root) {
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
   * The rows of the Markdown table right after {@code marker}: {@code | `--name LABEL` | `cmd`,
   * `cmd sub` | default | meaning |}, one entry per command a row names.
   *
   * @param doc the document's text
   * @param marker text that stands right before the table
   * @return {@code "`--name LABEL` on cmd"} → default, sorted
   * @throws AssertionError when the marker or the table is missing, a row has too few cells, or an
   *     option is documented twice for one command
   */
  public static Map<String, String> documented(String doc, String marker) {
    int at = doc.indexOf(marker);
    check(at >= 0, "marker " + marker + " not found");
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
    check(table.size() > 2, "no table right after " + marker);
    Map<String, String> out = new TreeMap<>();
    for (String row : table.subList(2, table.size())) {
      String[] cells = row.substring(1).split("(?<!\\\\)\\|");
      check(cells.length >= 4, "fewer than 4 cells in row " + row);
      String name = cells[0].trim();
      String def = cells[2].trim();
      for (String command : cells[1].split(",")) {
        String key = name + " on " + command.trim().replace("`", "");
        check(out.put(key, def) == null, key + " is documented twice");
      }
    }
    return out;
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }
}
