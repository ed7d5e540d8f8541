package dev.waybill.outbox.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Waybill's own migration scripts: fills {@code ${name}} placeholders and splits statements
 * at a {@code ;} that ends a line. The scripts contain no semicolons inside strings or bodies. Not
 * API.
 */
public final class SqlScripts {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z_]+)}");
  private static final Pattern END_OF_STATEMENT = Pattern.compile(";[ \\t]*(\\r?\\n|$)");

  private SqlScripts() {}

  /**
   * Replaces every {@code ${name}} with its value.
   *
   * @throws IllegalArgumentException naming a placeholder that has no value
   */
  public static String fillPlaceholders(String script, Map<String, String> values) {
    Matcher m = PLACEHOLDER.matcher(script);
    StringBuilder out = new StringBuilder(script.length());
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException(
            "script placeholder ${" + m.group(1) + "} has no value; known: " + values.keySet());
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The statements of a script, without the trailing {@code ;}, skipping comment-only parts. */
  public static List<String> split(String script) {
    List<String> out = new ArrayList<>();
    int start = 0;
    Matcher m = END_OF_STATEMENT.matcher(script);
    while (m.find()) {
      add(out, script.substring(start, m.start()));
      start = m.end();
    }
    add(out, script.substring(start));
    return out;
  }

  private static void add(List<String> out, String chunk) {
    StringBuilder code = new StringBuilder();
    for (String line : chunk.split("\\r?\\n")) {
      if (!line.strip().startsWith("--") && !line.isBlank()) {
        code.append(line).append('\n');
      }
    }
    if (code.length() > 0) {
      out.add(code.toString().strip());
    }
  }
}
