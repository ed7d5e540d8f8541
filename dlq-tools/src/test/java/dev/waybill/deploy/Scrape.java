package dev.waybill.deploy;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The sample names of Prometheus text-format scrapes, each with the label names it carries. */
final class Scrape {
  private final Map<String, Set<String>> labelsByName = new TreeMap<>();

  /** Adds a scrape's samples (comment lines are skipped). */
  Scrape add(String text) {
    for (String line : text.lines().toList()) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      int end = brace >= 0 && (space < 0 || brace < space) ? brace : space;
      Set<String> labels =
          labelsByName.computeIfAbsent(line.substring(0, end), k -> new LinkedHashSet<>());
      if (end == brace) {
        readLabels(line, brace + 1, labels);
      }
    }
    return this;
  }

  /** Whether a sample of this exact name was scraped. */
  boolean has(String name) {
    return labelsByName.containsKey(name);
  }

  /** The label names the samples of {@code name} carry (empty when none or unknown). */
  Set<String> labels(String name) {
    return labelsByName.getOrDefault(name, Set.of());
  }

  /** Every sample name, sorted. */
  Set<String> names() {
    return labelsByName.keySet();
  }

  /** Reads {@code name="value",...}} from {@code i}, values with backslash escapes. */
  private static void readLabels(String line, int i, Set<String> labels) {
    while (line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      labels.add(line.substring(i, eq).trim());
      i = eq + 2; // past ="
      while (line.charAt(i) != '"') {
        i += line.charAt(i) == '\\' ? 2 : 1;
      }
      i++; // past the closing quote
      if (line.charAt(i) == ',') {
        i++;
      }
    }
  }
}
