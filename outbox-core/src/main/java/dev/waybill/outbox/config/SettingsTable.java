package dev.waybill.outbox.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the settings tables of {@code docs/configuration.md} from the declarations. Each table
 * sits between two markers, {@code <!-- settings:NAME -->} and {@code <!-- /settings:NAME -->};
 * everything outside the markers is hand-written prose and is kept as it is. The doc tests compare
 * the file with {@link #render} and fail when they differ; running them with {@code
 * -Dwaybill.docs.write=true} writes the rendered file instead.
 */
public final class SettingsTable {
  private SettingsTable() {}

  /**
   * The opening marker of a generated table.
   *
   * @param name the table's name, e.g. {@code relay}
   * @return {@code <!-- settings:NAME -->}
   */
  public static String begin(String name) {
    return "<!-- settings:" + name + " -->";
  }

  /**
   * The closing marker of a generated table.
   *
   * @param name the table's name
   * @return {@code <!-- /settings:NAME -->}
   */
  public static String end(String name) {
    return "<!-- /settings:" + name + " -->";
  }

  /**
   * The Markdown table of some settings: a header and one {@link Setting#markdownRow()} each.
   *
   * @param settings the declarations, in the order of the rows
   * @return the table, lines joined by {@code \n}, without a trailing line break
   */
  public static String table(List<Setting<?>> settings) {
    List<String> lines = new ArrayList<>();
    lines.add("| key | environment | type | default | meaning |");
    lines.add("|---|---|---|---|---|");
    settings.forEach(s -> lines.add(s.markdownRow()));
    return String.join("\n", lines);
  }

  /**
   * The text between a table's markers, as it is in a document.
   *
   * @param doc the document
   * @param name the table's name
   * @return the text between the markers, without the line breaks next to them
   * @throws IllegalArgumentException when the markers are missing
   */
  public static String section(String doc, String name) {
    int from = doc.indexOf(begin(name) + "\n");
    int to = doc.indexOf("\n" + end(name));
    if (from < 0 || to < from) {
      throw new IllegalArgumentException(
          "the document has no " + begin(name) + " ... " + end(name) + " section");
    }
    return doc.substring(from + begin(name).length() + 1, to);
  }

  /**
   * The document with every named table regenerated between its markers.
   *
   * @param doc the document
   * @param tables table names to their declarations
   * @return the document with those sections replaced; the rest unchanged
   * @throws IllegalArgumentException when a table's markers are missing
   */
  public static String render(String doc, Map<String, List<Setting<?>>> tables) {
    String out = doc;
    for (Map.Entry<String, List<Setting<?>>> t : tables.entrySet()) {
      String old = section(out, t.getKey());
      int from = out.indexOf(begin(t.getKey()) + "\n") + begin(t.getKey()).length() + 1;
      out = out.substring(0, from) + table(t.getValue()) + out.substring(from + old.length());
    }
    return out;
  }
}
