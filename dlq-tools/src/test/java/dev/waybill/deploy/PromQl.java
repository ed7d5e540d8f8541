package dev.waybill.deploy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Just enough of PromQL to know which metrics and labels an expression names: metric names are
 * identifiers that are neither functions (followed by {@code (}) nor keywords; labels are those of
 * {@code {...}} matchers and of {@code by}, {@code without}, {@code on}, {@code ignoring}, {@code
 * group_left} and {@code group_right} lists. Strings, numbers, durations and range brackets
 * (including Grafana variables such as {@code [$__rate_interval]}) are skipped. Also reads
 * Grafana's {@code label_values(metric, label)} variable queries.
 */
final class PromQl {
  /** A metric name with the labels its {@code {...}} matchers name. */
  record Selector(String metric, Set<String> labels) {}

  /** What an expression names. */
  record Query(List<Selector> selectors, Set<String> groupingLabels) {}

  private static final Set<String> KEYWORDS =
      Set.of("and", "or", "unless", "bool", "offset", "group_left", "group_right", "atan2");

  private static final Set<String> LABEL_LISTS =
      Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

  private static final Set<String> FUNCTIONS =
      Set.of(
          "sum",
          "min",
          "max",
          "avg",
          "count",
          "stddev",
          "stdvar",
          "topk",
          "bottomk",
          "quantile",
          "count_values",
          "group",
          "rate",
          "irate",
          "increase",
          "delta",
          "idelta",
          "deriv",
          "predict_linear",
          "histogram_quantile",
          "absent",
          "absent_over_time",
          "vector",
          "scalar",
          "time",
          "abs",
          "ceil",
          "floor",
          "round",
          "clamp",
          "clamp_min",
          "clamp_max",
          "changes",
          "resets",
          "sort",
          "sort_desc",
          "timestamp",
          "label_replace",
          "label_join",
          "avg_over_time",
          "min_over_time",
          "max_over_time",
          "sum_over_time",
          "count_over_time",
          "last_over_time",
          "quantile_over_time",
          "label_values");

  private PromQl() {}

  /**
   * Reads an expression.
   *
   * @throws IllegalArgumentException naming the position when the expression is not understood
   */
  static Query parse(String expr) {
    List<String> tokens = tokens(expr);
    List<Selector> selectors = new ArrayList<>();
    Set<String> grouping = new LinkedHashSet<>();
    int i = 0;
    while (i < tokens.size()) {
      String t = tokens.get(i);
      String next = i + 1 < tokens.size() ? tokens.get(i + 1) : "";
      if (!isIdentifier(t)) {
        i++;
      } else if (LABEL_LISTS.contains(t) && next.equals("(")) {
        i += 2;
        while (!tokens.get(i).equals(")")) {
          if (isIdentifier(tokens.get(i))) {
            grouping.add(tokens.get(i));
          } else if (!tokens.get(i).equals(",")) {
            throw new IllegalArgumentException(
                "unexpected '" + tokens.get(i) + "' in the label list of " + t + " in: " + expr);
          }
          i++;
        }
        i++;
      } else if (FUNCTIONS.contains(t) && (next.equals("by") || next.equals("without"))) {
        i++; // an aggregation with its label list first: sum by (a) (...)
      } else if (next.equals("(")) {
        if (t.equals("label_values")) {
          // Grafana: label_values(metric, label) or label_values(label)
          List<String> args = new ArrayList<>();
          for (i += 2; !tokens.get(i).equals(")"); i++) {
            if (!tokens.get(i).equals(",")) {
              args.add(tokens.get(i));
            }
          }
          i++;
          if (args.size() == 2) {
            selectors.add(new Selector(args.get(0), Set.of(args.get(1))));
          } else {
            grouping.add(args.get(args.size() - 1));
          }
        } else if (!FUNCTIONS.contains(t)) {
          throw new IllegalArgumentException("unknown function '" + t + "' in: " + expr);
        } else {
          i++;
        }
      } else if (KEYWORDS.contains(t) || LABEL_LISTS.contains(t)) {
        i++;
      } else {
        Set<String> labels = new LinkedHashSet<>();
        i++;
        if (next.equals("{")) {
          for (i++; !tokens.get(i).equals("}"); i++) {
            if (isIdentifier(tokens.get(i))) {
              labels.add(tokens.get(i));
            }
          }
          i++;
        }
        selectors.add(new Selector(t, Set.copyOf(labels)));
      }
    }
    return new Query(List.copyOf(selectors), Set.copyOf(grouping));
  }

  static boolean isIdentifier(String t) {
    return !t.isEmpty() && (Character.isLetter(t.charAt(0)) || t.charAt(0) == '_');
  }

  /** Identifiers, punctuation and operators; strings, numbers and {@code [...]} are dropped. */
  static List<String> tokens(String expr) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = expr.length();
    while (i < n) {
      char c = expr.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '"' || c == '\'' || c == '`') {
        int end = i + 1;
        while (end < n && expr.charAt(end) != c) {
          end += expr.charAt(end) == '\\' && c != '`' ? 2 : 1;
        }
        if (end >= n) {
          throw new IllegalArgumentException("unterminated string at " + i + " in: " + expr);
        }
        i = end + 1;
      } else if (c == '[') {
        int end = expr.indexOf(']', i);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated '[' at " + i + " in: " + expr);
        }
        i = end + 1;
      } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && isDigit(expr, i + 1))) {
        while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.')) {
          i++;
        }
      } else if (c == '$') {
        throw new IllegalArgumentException(
            "a variable outside a string or range at " + i + " in: " + expr);
      } else if (Character.isLetter(c) || c == '_' || c == ':') {
        int start = i;
        while (i < n
            && (Character.isLetterOrDigit(expr.charAt(i))
                || expr.charAt(i) == '_'
                || expr.charAt(i) == ':')) {
          i++;
        }
        out.add(expr.substring(start, i));
      } else if ("=!<>".indexOf(c) >= 0 && i + 1 < n && "=~".indexOf(expr.charAt(i + 1)) >= 0) {
        out.add(expr.substring(i, i + 2));
        i += 2;
      } else {
        out.add(String.valueOf(c));
        i++;
      }
    }
    return out;
  }

  private static boolean isDigit(String s, int i) {
    return Character.isDigit(s.charAt(i));
  }
}
