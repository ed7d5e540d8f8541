package dev.waybill.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shipped Grafana dashboard ({@code deploy/grafana/waybill-dashboard.json}) and Prometheus
 * rules ({@code deploy/prometheus/waybill-alerts.yaml}): their structure, and every PromQL
 * expression in them checked against scraped metrics.
 */
final class DeployFiles {
  static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
  static final Path DASHBOARD = DEPLOY.resolve("grafana/waybill-dashboard.json");
  static final Path RULES = DEPLOY.resolve("prometheus/waybill-alerts.yaml");

  private static final Pattern LEGEND_LABEL = Pattern.compile("\\{\\{\\s*(\\w+)\\s*}}");
  private static final Pattern ANNOTATION_LABEL = Pattern.compile("\\$labels\\.(\\w+)");
  private static final Pattern DURATION = Pattern.compile("(\\d+(ms|s|m|h|d|w|y))+");
  private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");
  private static final Set<String> RULE_KEYS =
      Set.of("alert", "expr", "for", "keep_firing_for", "labels", "annotations");

  /**
   * One PromQL expression and where it is.
   *
   * @param where e.g. {@code dashboard panel "Backlog" target A} or {@code alert WaybillX}
   * @param expr the expression
   * @param templateLabels labels a legend or an annotation template prints: the expression's result
   *     must carry them
   */
  record Expression(String where, String expr, Set<String> templateLabels) {}

  final JsonNode dashboard;
  final JsonNode rules;

  DeployFiles() {
    try {
      dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
      rules = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(RULES));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + DEPLOY, e);
    }
  }

  /** Every expression of the dashboard (targets and variable queries) and of the rules. */
  List<Expression> expressions() {
    List<Expression> out = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        out.add(
            new Expression(
                "dashboard panel \""
                    + panel.path("title").asText()
                    + "\" target "
                    + target.path("refId").asText(),
                target.path("expr").asText(),
                matches(LEGEND_LABEL, target.path("legendFormat").asText())));
      }
    }
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (variable.path("type").asText().equals("query")) {
        out.add(
            new Expression(
                "dashboard variable " + variable.path("name").asText(),
                variable.path("definition").asText(),
                Set.of()));
      }
    }
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        Set<String> labels = new LinkedHashSet<>();
        rule.path("annotations").forEach(a -> labels.addAll(matches(ANNOTATION_LABEL, a.asText())));
        out.add(
            new Expression(
                "alert " + rule.path("alert").asText(), rule.path("expr").asText(), labels));
      }
    }
    return out;
  }

  /** Problems of the dashboard's structure: what Grafana needs to import and draw it. */
  List<String> dashboardProblems() {
    List<String> problems = new ArrayList<>();
    for (String field : List.of("title", "uid")) {
      if (dashboard.path(field).asText().isBlank()) {
        problems.add("dashboard: no " + field);
      }
    }
    if (!dashboard.path("schemaVersion").isInt()) {
      problems.add("dashboard: schemaVersion is not a number");
    }
    if (!dashboard.path("panels").isArray() || dashboard.path("panels").isEmpty()) {
      problems.add("dashboard: no panels");
    }
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      String name = "panel \"" + panel.path("title").asText() + "\"";
      if (panel.path("title").asText().isBlank()) {
        problems.add("a panel without a title: " + panel);
      }
      if (!panel.path("id").isInt() || !ids.add(panel.path("id").asInt())) {
        problems.add(name + ": id missing or not unique");
      }
      if (panel.path("type").asText().isBlank()) {
        problems.add(name + ": no type");
      }
      JsonNode grid = panel.path("gridPos");
      for (String f : List.of("x", "y", "w", "h")) {
        if (!grid.path(f).isInt()) {
          problems.add(name + ": gridPos." + f + " is not a number");
        }
      }
      if (grid.path("x").asInt() + grid.path("w").asInt() > 24) {
        problems.add(name + ": wider than the 24 grid columns");
      }
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      if (!panel.path("datasource").path("uid").asText().equals("${datasource}")) {
        problems.add(name + ": datasource is not the ${datasource} variable");
      }
      if (!panel.path("targets").isArray() || panel.path("targets").isEmpty()) {
        problems.add(name + ": no targets");
      }
      Set<String> refIds = new HashSet<>();
      for (JsonNode target : panel.path("targets")) {
        if (!refIds.add(target.path("refId").asText()) || target.path("refId").asText().isBlank()) {
          problems.add(name + ": a target's refId is missing or not unique");
        }
      }
    }
    Set<String> variables = new HashSet<>();
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      variables.add(variable.path("name").asText());
    }
    if (!variables.containsAll(List.of("datasource", "instance", "group"))) {
      problems.add(
          "dashboard: variables datasource, instance and group expected, found " + variables);
    }
    for (Expression e : expressions()) {
      if (e.where().startsWith("dashboard")) {
        problems.addAll(parseProblems(e));
      }
    }
    return problems;
  }

  /** Problems of the rule file's structure: what Prometheus and the runbook links need. */
  List<String> ruleProblems() {
    List<String> problems = new ArrayList<>();
    if (!rules.path("groups").isArray() || rules.path("groups").isEmpty()) {
      problems.add("rules: no groups");
    }
    Set<String> groups = new HashSet<>();
    Set<String> alerts = new HashSet<>();
    for (JsonNode group : rules.path("groups")) {
      String g = group.path("name").asText();
      if (g.isBlank() || !groups.add(g)) {
        problems.add("rules: a group's name is missing or not unique: " + g);
      }
      if (!group.path("rules").isArray() || group.path("rules").isEmpty()) {
        problems.add("group " + g + ": no rules");
      }
      for (JsonNode rule : group.path("rules")) {
        String name = "alert " + rule.path("alert").asText();
        if (rule.path("alert").asText().isBlank() || !alerts.add(rule.path("alert").asText())) {
          problems.add("group " + g + ": an alert's name is missing or not unique: " + rule);
        }
        rule.fieldNames()
            .forEachRemaining(
                f -> {
                  if (!RULE_KEYS.contains(f)) {
                    problems.add(name + ": unknown field " + f);
                  }
                });
        if (rule.path("expr").asText().isBlank()) {
          problems.add(name + ": no expr");
        }
        if (!DURATION.matcher(rule.path("for").asText()).matches()) {
          problems.add(name + ": 'for' is not a duration such as 5m: " + rule.path("for"));
        }
        if (!SEVERITIES.contains(rule.path("labels").path("severity").asText())) {
          problems.add(name + ": labels.severity is not one of " + SEVERITIES);
        }
        for (String a : List.of("summary", "runbook")) {
          if (rule.path("annotations").path(a).asText().isBlank()) {
            problems.add(name + ": no annotations." + a);
          }
        }
      }
    }
    for (Expression e : expressions()) {
      if (e.where().startsWith("alert")) {
        problems.addAll(parseProblems(e));
      }
    }
    return problems;
  }

  /**
   * Every metric or label an expression names that the scrape does not have. A metric must be a
   * scraped sample name exactly, suffix included ({@code _total}, {@code _bucket}, {@code _count},
   * {@code _sum}, {@code _max}, unit suffixes); a matcher's label must be on that metric; a {@code
   * by}/{@code on}/... label or a template's label on one of the expression's metrics.
   */
  List<String> problemsAgainst(Scrape scrape) {
    List<String> problems = new ArrayList<>();
    for (Expression e : expressions()) {
      PromQl.Query q;
      try {
        q = PromQl.parse(e.expr());
      } catch (IllegalArgumentException ex) {
        problems.add(e.where() + ": " + ex.getMessage());
        continue;
      }
      Set<String> available = new HashSet<>();
      for (PromQl.Selector s : q.selectors()) {
        if (!scrape.has(s.metric())) {
          problems.add(e.where() + ": metric " + s.metric() + " is not in the scrape: " + e.expr());
          continue;
        }
        available.addAll(scrape.labels(s.metric()));
        for (String label : s.labels()) {
          if (!label.equals("__name__") && !scrape.labels(s.metric()).contains(label)) {
            problems.add(
                e.where()
                    + ": metric "
                    + s.metric()
                    + " has no label "
                    + label
                    + ", only "
                    + scrape.labels(s.metric()));
          }
        }
      }
      Set<String> labels = new LinkedHashSet<>(q.groupingLabels());
      labels.addAll(e.templateLabels());
      for (String label : labels) {
        if (!available.contains(label)) {
          problems.add(
              e.where()
                  + ": label "
                  + label
                  + " is on none of its metrics "
                  + q.selectors()
                  + ": "
                  + e.expr());
        }
      }
    }
    return problems;
  }

  private static List<String> parseProblems(Expression e) {
    if (e.expr().isBlank()) {
      return List.of(e.where() + ": no expression");
    }
    try {
      if (PromQl.parse(e.expr()).selectors().isEmpty()) {
        return List.of(e.where() + ": names no metric: " + e.expr());
      }
      return List.of();
    } catch (IllegalArgumentException ex) {
      return List.of(e.where() + ": " + ex.getMessage());
    }
  }

  private static Set<String> matches(Pattern p, String text) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = p.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
